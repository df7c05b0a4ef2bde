namespace Autonomy.Policy;

public enum PolicyDecision
{
    AutoExecute,
    RequireApproval,
    Block,
}

/// <summary>Why the policy decided as it did. Codes are stable: golden tests pin them.</summary>
public enum PolicyReason
{
    KillSwitch,
    ActionTypeDisabled,
    UnknownActionType,
    LifecycleState,
    ModeProposeOnly,
    ModeApprovalRequired,
    RiskLevelHigh,
    RiskLevelMedium,
    ExternalContact,
    NotAllowListed,
    LowConfidence,
    ScheduleNotOptedIn,
    BudgetExhausted,
    AllowedByPolicy,
}
