using System.Collections.Immutable;
using System.Text.Json.Nodes;
using Autonomy.Connectors;
using Autonomy.Perception;
using CsCheck;

namespace Autonomy.Tests.Perception;

/// <summary>Planning an account's pulls over the tenant's connectors, and the posture a pull merges in.</summary>
public sealed class PullPlanTests
{
    private static readonly DateTimeOffset Start = new(2026, 3, 1, 0, 0, 0, TimeSpan.Zero);

    private static readonly PullCadence Cadence = new(
        new(TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(30)), new(TimeSpan.FromMinutes(30), TimeSpan.FromHours(4)), new(TimeSpan.FromHours(2), TimeSpan.FromHours(12)));

    private static ConnectorConfig Connector(string name) =>
        new(name, ConnectorKind.Synthetic, true, null, null, null, TimeSpan.FromSeconds(5), ConnectorMapping.Default, Cadence, Throttle.Default, 7, 0);

    private static readonly Gen<ImmutableArray<ConnectorConfig>> Connectors =
        Gen.Int[0, 5].Select(n => Enumerable.Range(0, n).Select(i => Connector($"c{i}")).ToImmutableArray());

    private static readonly Gen<PullBasis> Basis = Gen.Select(
        Gen.Enum<HeatTier>(), Gen.Int[0, 24 * 60].Select(m => Start.AddMinutes(m)).Nullable(0.3), Gen.Int[0, 5], Gen.Int[0, 600],
        (tier, signal, known, anchor) => new PullBasis(true, tier, signal, Enumerable.Range(0, known).ToImmutableDictionary(
            i => $"c{i}", i => PullPlanner.Start(Cadence, HeatTier.Cold, 0.5, Start.AddMinutes(-anchor)), StringComparer.Ordinal)));

    [Fact]
    public void APlanHoldsExactlyTheEnabledConnectorsEachWithinItsTiersBounds() =>
        Gen.Select(Basis, Connectors, Gen.Int[0, 24 * 60]).Sample((basis, connectors, minutes) =>
        {
            var planned = PullPlanner.Plan(basis, connectors, "t/a", Start.AddMinutes(minutes));

            Assert.Equal(connectors.Select(c => c.Name).Order(StringComparer.Ordinal), planned.Keys.Order(StringComparer.Ordinal));
            Assert.All(planned.Values, p => Assert.InRange(p.Interval, Cadence.For(basis.Tier).Min, Cadence.For(basis.Tier).Max));
        });

    [Fact]
    public void PlanningAgainChangesNothing() =>
        Gen.Select(Basis, Connectors, Gen.Int[0, 24 * 60]).Sample((basis, connectors, minutes) =>
        {
            var now = Start.AddMinutes(minutes);
            var planned = PullPlanner.Plan(basis, connectors, "t/a", now);

            Assert.True(PullPlanner.Same(planned, PullPlanner.Plan(basis with { Pulls = planned }, connectors, "t/a", now.AddMinutes(1))));
        });

    [Fact]
    public void ASignalCountsOncePerPullCycleAndOnlyAfterItStarted() =>
        Gen.Select(Gen.Int[-600, 600], Gen.Int[-600, 600]).Sample((first, second) =>
        {
            var s = PullPlanner.Start(Cadence, HeatTier.Warm, 0.5, Start);
            var cycleStart = s.Anchor;
            var at = cycleStart.AddSeconds(first);

            Assert.Equal(at > cycleStart, PullPlanner.Counts(s, at));
            var after = PullPlanner.OnSignal(s, Cadence, HeatTier.Warm, PullTuning.Default, at);
            Assert.Equal(PullPlanner.Counts(s, at), after != s);
            if (PullPlanner.Counts(s, at))
            {
                Assert.False(PullPlanner.Counts(after, cycleStart.AddSeconds(Math.Abs(second) + 1)));
            }
        });

    [Fact]
    public void MergingPulledPostureSetsItsFieldsKeepsTheOthersAndSaysWhenNothingChanged() =>
        Gen.Select(Gen.Double[0, 1], Gen.Double[0, 1], Gen.Bool).Sample((intent, risk, hadIntent) =>
        {
            var current = hadIntent ? $$"""{"owner":"x","intent":{{N(intent)}}}""" : """{"owner":"x"}""";
            var merged = Posture.Merge(current, $$"""{"intent":{{N(intent)}},"risk":{{N(risk)}}}""");

            var posture = JsonNode.Parse(merged!)!.AsObject();
            Assert.Equal("x", (string?)posture["owner"]);
            Assert.Equal(intent, (double)posture["intent"]!);
            Assert.Equal(risk, (double)posture["risk"]!);
            Assert.Null(Posture.Merge(merged, $$"""{"risk":{{N(risk)}}}"""));
            Assert.Null(Posture.Merge(merged, "{}"));
        });

    private static string N(double d) => d.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
}
