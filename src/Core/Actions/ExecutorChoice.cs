using Autonomy.Tenants;

namespace Autonomy.Actions;

/// <summary>Which executor an action goes to: the tenant's webhook, or the internal executor.</summary>
public static class ExecutorChoice
{
    /// <summary>Built-in, low-risk types that contact nobody are kept by the system unless the tenant lists them for its webhook.</summary>
    public static bool IsInternal(ActionTypeSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return spec.BuiltIn && !spec.ExternalContact && spec.RiskLevel == RiskLevel.Low;
    }

    /// <summary>The webhook URL the action is delivered to, or null for the internal executor.</summary>
    public static string? WebhookUrl(ActionTypeSpec spec, ExecutorSettings executor)
    {
        ArgumentNullException.ThrowIfNull(executor);
        return executor.UsesWebhook(spec.ActionType, IsInternal(spec)) ? executor.WebhookUrl : null;
    }
}
