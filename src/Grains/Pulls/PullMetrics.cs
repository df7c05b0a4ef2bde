using System.Diagnostics.Metrics;

namespace Autonomy.Connectors;

/// <summary>The pull meter, on the one <c>Autonomy</c> meter: every pull decision by outcome (the same as its ledger entry) and reason.</summary>
public static class PullMetrics
{
    private static readonly Counter<long> Pulls = AutonomyMetrics.Meter.CreateCounter<long>("autonomy.pulls", description: "Pull decisions by connector kind, outcome (COMPLETED, DEFERRED, SKIPPED, FAILED) and reason");

    public static void Decided(ConnectorKind kind, string outcome, string reason) =>
        Pulls.Add(1, new("kind", Common.WireName.Of(kind)), new("outcome", outcome), new("reason", reason));
}
