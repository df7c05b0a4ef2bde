using System.Collections.Immutable;
using Autonomy.Learning;
using Autonomy.Outcomes;
using Autonomy.Perception;
using Autonomy.Policy;

namespace Autonomy.Accounts;

/// <summary>An upstream update of an account. Null fields are left as they are.</summary>
[GenerateSerializer, Immutable, Alias("autonomy.AccountUpdate")]
public sealed record AccountUpdate(
    [property: Id(0)] string? OwnerId,
    [property: Id(1)] string? Lifecycle,
    [property: Id(2)] string? Posture,
    [property: Id(3)] DateOnly? RenewalDate);

/// <summary>A signal as ingested. <see cref="Attributes"/> is JSON text or null; <see cref="Value"/> defaults to 0.5.</summary>
[GenerateSerializer, Immutable, Alias("autonomy.SignalInput")]
public sealed record SignalInput(
    [property: Id(0)] string Id,
    [property: Id(1)] string Type,
    [property: Id(2)] DateTimeOffset? OccurredAt,
    [property: Id(3)] double? Value,
    [property: Id(4)] string? Attributes);

[GenerateSerializer, Immutable, Alias("autonomy.IngestResult")]
public sealed record IngestResult([property: Id(0)] int Accepted, [property: Id(1)] int Duplicates);

public enum ActionStatus
{
    Succeeded,
    Failed,
    Reverted,
}

/// <summary>
/// A proposal waiting for a human (or a propose-only suggestion). Parameters are canonical JSON text. <see cref="Ranking"/>:
/// how the run's ranker saw it (features, score, calibrated confidence), so the queue can be re-ranked by a newer model.
/// </summary>
[GenerateSerializer, Immutable, Alias("autonomy.ProposalView")]
public sealed record ProposalView(
    [property: Id(0)] string ProposalId,
    [property: Id(1)] string RunId,
    [property: Id(2)] string AccountId,
    [property: Id(3)] string SellerId,
    [property: Id(4)] string ActionType,
    [property: Id(5)] string Parameters,
    [property: Id(6)] string ArgsDigest,
    [property: Id(7)] double Confidence,
    [property: Id(8)] PolicyDecision Decision,
    [property: Id(9)] PolicyReason Reason,
    [property: Id(10)] string Explanation,
    [property: Id(11)] string PolicyVersion,
    [property: Id(12)] DateTimeOffset CreatedAt,
    [property: Id(13)] DateTimeOffset ExpiresAt,
    [property: Id(14)] bool StartedBySchedule,
    [property: Id(40)] ProposalRanking? Ranking = null);

/// <summary>An executed action: a timeline item ("Autopilot did X" when <see cref="Autonomous"/>).</summary>
[GenerateSerializer, Immutable, Alias("autonomy.ActionView")]
public sealed record ActionView(
    [property: Id(0)] string ActionId,
    [property: Id(1)] string RunId,
    [property: Id(2)] string AccountId,
    [property: Id(3)] string SellerId,
    [property: Id(4)] string ActionType,
    [property: Id(5)] string Parameters,
    [property: Id(6)] bool Autonomous,
    [property: Id(7)] ActionStatus Status,
    [property: Id(8)] DateTimeOffset ExecutedAt,
    [property: Id(9)] PolicyReason Reason,
    [property: Id(10)] string Explanation,
    [property: Id(11)] string PolicyVersion,
    [property: Id(12)] string? ProposalId,
    [property: Id(13)] OutcomeV1? Outcome,
    [property: Id(14)] string? Detail,
    [property: Id(15)] bool Revertible);

/// <summary>Today's autonomy budget use of an account.</summary>
[GenerateSerializer, Immutable, Alias("autonomy.BudgetUseView")]
public sealed record BudgetUseView(
    [property: Id(0)] DateOnly Day,
    [property: Id(1)] int Used,
    [property: Id(2)] int Limit,
    [property: Id(3)] ImmutableDictionary<string, int> PerActionType);

/// <summary>The account as the API shows it.</summary>
[GenerateSerializer, Immutable, Alias("autonomy.AccountView")]
public sealed record AccountView(
    [property: Id(0)] string TenantId,
    [property: Id(1)] string AccountId,
    [property: Id(2)] string? OwnerId,
    [property: Id(3)] string? Lifecycle,
    [property: Id(4)] string? Posture,
    [property: Id(5)] DateOnly? RenewalDate,
    [property: Id(6)] double Heat,
    [property: Id(7)] HeatTier Tier,
    [property: Id(8)] ImmutableDictionary<string, DateTimeOffset> Cooldowns,
    [property: Id(9)] BudgetUseView BudgetUse,
    [property: Id(10)] DateTimeOffset? NextTickAt,
    [property: Id(11)] DateTimeOffset? LastTickAt,
    [property: Id(12)] DateTimeOffset? NextRitualAt,
    [property: Id(13)] DateTimeOffset? PendingRunDueAt,
    [property: Id(14)] ImmutableArray<ProposalView> PendingProposals,
    [property: Id(15)] ImmutableArray<ActionView> RecentActions,
    [property: Id(16)] bool AutonomousSchedules,
    [property: Id(70)] ImmutableArray<PullView> Pulls = default);
