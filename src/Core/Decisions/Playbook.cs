using System.Collections.Immutable;

namespace Autonomy.Decisions;

/// <summary>The deterministic engine's rules, per tenant: when a trigger type is in a run, propose these actions.</summary>
[GenerateSerializer, Immutable, Alias("autonomy.Playbook")]
public sealed record Playbook([property: Id(0)] ImmutableArray<PlaybookRule> Rules)
{
    public static readonly Playbook Empty = new(ImmutableArray<PlaybookRule>.Empty);
}

/// <summary>One rule. <see cref="Lifecycle"/>, when set, narrows it to accounts in that lifecycle.</summary>
[GenerateSerializer, Immutable, Alias("autonomy.PlaybookRule")]
public sealed record PlaybookRule(
    [property: Id(0)] string SignalType,
    [property: Id(1)] string? Lifecycle,
    [property: Id(2)] ImmutableArray<PlaybookProposal> Propose);

/// <summary>An action the rule proposes; <see cref="Parameters"/> is canonical JSON text.</summary>
[GenerateSerializer, Immutable, Alias("autonomy.PlaybookProposal")]
public sealed record PlaybookProposal(
    [property: Id(0)] string ActionType,
    [property: Id(1)] string Parameters,
    [property: Id(2)] double Confidence,
    [property: Id(3)] string? Rationale);
