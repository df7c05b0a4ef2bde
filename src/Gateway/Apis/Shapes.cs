using System.Text.Json.Nodes;
using Autonomy.Accounts;
using Autonomy.Actions;
using Autonomy.Gateway.Infrastructure;
using Autonomy.Ledger;
using Autonomy.Outcomes;
using Autonomy.Perception;
using Autonomy.Policy;
using Autonomy.Sellers;
using Autonomy.Tenants;

namespace Autonomy.Gateway.Apis;

// The response shapes of API.md ("Shapes"). Grain records never leave the gateway as they are: JSON text
// (parameters, posture, payloads) becomes JSON objects, and the fields are the contract's.

/// <summary>Every list: <c>{"items":[...],"nextCursor":...}</c>.</summary>
public sealed record ItemsResponse<T>(IReadOnlyList<T> Items, string? NextCursor);

/// <summary>A proposal awaiting a human (or a propose-only suggestion).</summary>
public sealed record ProposalResponse(
    string ProposalId,
    string RunId,
    string AccountId,
    string SellerId,
    string ActionType,
    JsonNode? Parameters,
    string ArgsDigest,
    double Confidence,
    PolicyDecision Decision,
    PolicyReason Reason,
    string Explanation,
    string PolicyVersion,
    DateTimeOffset CreatedAt,
    DateTimeOffset ExpiresAt,
    bool StartedBySchedule)
{
    public static ProposalResponse From(ProposalView p) => new(
        p.ProposalId, p.RunId, p.AccountId, p.SellerId, p.ActionType, GatewayJson.Node(p.Parameters), p.ArgsDigest, p.Confidence,
        p.Decision, p.Reason, p.Explanation, p.PolicyVersion, p.CreatedAt, p.ExpiresAt, p.StartedBySchedule);
}

/// <summary>An executed action: a timeline item, "Autopilot did X" when <c>autonomous</c>.</summary>
public sealed record TimelineItemResponse(
    string ActionId,
    string RunId,
    string AccountId,
    string SellerId,
    string ActionType,
    JsonNode? Parameters,
    bool Autonomous,
    ActionStatus Status,
    DateTimeOffset ExecutedAt,
    PolicyReason Reason,
    string Explanation,
    string PolicyVersion,
    string? ProposalId,
    OutcomeV1? Outcome,
    string? Detail,
    bool Revertible)
{
    public static TimelineItemResponse From(ActionView a) => new(
        a.ActionId, a.RunId, a.AccountId, a.SellerId, a.ActionType, GatewayJson.Node(a.Parameters), a.Autonomous, a.Status, a.ExecutedAt,
        a.Reason, a.Explanation, a.PolicyVersion, a.ProposalId, a.Outcome, a.Detail, a.Revertible);
}

public sealed record BudgetUseResponse(DateOnly Day, int Used, int Limit, IReadOnlyDictionary<string, int> PerActionType);

/// <summary>An account: heat, tier, cooldowns, budget use, next scheduled tick, pending proposals.</summary>
public sealed record AccountResponse(
    string TenantId,
    string AccountId,
    string? OwnerId,
    string? Lifecycle,
    JsonNode? Posture,
    DateOnly? RenewalDate,
    double Heat,
    HeatTier Tier,
    IReadOnlyDictionary<string, DateTimeOffset> Cooldowns,
    BudgetUseResponse BudgetUse,
    DateTimeOffset? NextTickAt,
    DateTimeOffset? LastTickAt,
    DateTimeOffset? NextRitualAt,
    DateTimeOffset? PendingRunDueAt,
    IReadOnlyList<ProposalResponse> PendingProposals,
    IReadOnlyList<TimelineItemResponse> RecentActions,
    bool AutonomousSchedules)
{
    public static AccountResponse From(AccountView a) => new(
        a.TenantId, a.AccountId, a.OwnerId, a.Lifecycle, GatewayJson.Node(a.Posture), a.RenewalDate, a.Heat, a.Tier,
        a.Cooldowns, new BudgetUseResponse(a.BudgetUse.Day, a.BudgetUse.Used, a.BudgetUse.Limit, a.BudgetUse.PerActionType),
        a.NextTickAt, a.LastTickAt, a.NextRitualAt, a.PendingRunDueAt,
        a.PendingProposals.IsDefault ? [] : a.PendingProposals.Select(ProposalResponse.From).ToList(),
        a.RecentActions.IsDefault ? [] : a.RecentActions.Select(TimelineItemResponse.From).ToList(),
        a.AutonomousSchedules);
}

public sealed record KillSwitchResponse(string Scope, bool Engaged, string? Reason, DateTimeOffset? ChangedAt, string? ChangedBy, long Version)
{
    public static KillSwitchResponse From(KillSwitchView k) => new(k.Scope, k.Engaged, k.Reason, k.ChangedAt, k.ChangedBy, k.Version);
}

public sealed record ActionTypeResponse(string ActionType, RiskLevel RiskLevel, bool ExternalContact, bool AllowListed, bool Revertible, bool BuiltIn)
{
    public static ActionTypeResponse From(ActionTypeSpec s) => new(s.ActionType, s.RiskLevel, s.ExternalContact, s.AllowListed, s.Revertible, s.BuiltIn);
}

/// <summary>A ledger entry; <c>payload</c> is the stored JSON as an object.</summary>
public sealed record LedgerEntryResponse(
    string EntryId,
    string TenantId,
    string StreamId,
    long Seq,
    string? RunId,
    string Type,
    DateTimeOffset At,
    string Actor,
    JsonNode? Payload,
    string PrevHash,
    string Hash)
{
    public static LedgerEntryResponse From(LedgerEntry e) =>
        new(e.EntryId, e.TenantId, e.StreamId, e.Seq, e.RunId, e.Type, e.At, e.Actor, GatewayJson.Node(e.Payload), e.PrevHash, e.Hash);
}

public sealed record DigestSettingsResponse(bool Enabled, TimeOnly DeliverAt, string TimeZone, string? WebhookUrl)
{
    public static DigestSettingsResponse From(DigestSettings s) => new(s.Enabled, s.DeliverAt, s.TimeZone, s.WebhookUrl);
}

public sealed record SkippedItemResponse(string AccountId, string RunId, string Step, string Reason, string Explanation, DateTimeOffset At)
{
    public static SkippedItemResponse From(SkippedItem s) => new(s.AccountId, s.RunId, s.Step, s.Reason, s.Explanation, s.At);
}

/// <summary>The daily digest: done, skipped with reasons, waiting, budget use.</summary>
public sealed record DigestResponse(
    string SellerId,
    DateOnly Date,
    IReadOnlyList<TimelineItemResponse> Done,
    IReadOnlyList<SkippedItemResponse> Skipped,
    IReadOnlyList<ProposalResponse> Waiting,
    int AutonomousActions,
    DigestSettingsResponse Settings)
{
    public static DigestResponse From(DigestView d) => new(
        d.SellerId, d.Date,
        d.Done.IsDefault ? [] : d.Done.Select(TimelineItemResponse.From).ToList(),
        d.Skipped.IsDefault ? [] : d.Skipped.Select(SkippedItemResponse.From).ToList(),
        d.Waiting.IsDefault ? [] : d.Waiting.Select(ProposalResponse.From).ToList(),
        d.AutonomousActions, DigestSettingsResponse.From(d.Settings));
}
