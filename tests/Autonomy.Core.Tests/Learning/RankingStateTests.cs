using System.Collections.Immutable;
using Autonomy.Learning;
using CsCheck;

namespace Autonomy.Tests.Learning;

/// <summary>The ranking grain's state is bounded, and the bound never drops the active version or its rollback target.</summary>
public class RankingStateTests
{
    private static RankingVersion Version(int n, string? from = null) => new(
        new RankingModel($"v{n}", 0, 0, ImmutableDictionary<string, double>.Empty, ImmutableDictionary<string, Calibration>.Empty, DateTimeOffset.UnixEpoch),
        new ShadowEvaluation($"v{n}", "prior", 0, 0, 0, null!, null!, new(0, 0, 0), new(0, 0, 0), new(0, 0, 0), null, false, []),
        new GateDecision(true, [], 0.02), DateTimeOffset.UnixEpoch, "manual", from);

    [Fact]
    public void VersionsStayWithinTheCapAndKeepTheActiveOneAndItsRollbackTarget()
    {
        Gen.Select(Gen.Int[1, 120], Gen.Int[1, 120]).Sample((count, activeAt) =>
        {
            var s = new RankingState();
            for (var n = 1; n <= count; n++)
            {
                s = s.WithVersion(Version(n, n == activeAt && n > 1 ? $"v{n - 1}" : null));
                if (n == activeAt)
                {
                    s = s with { Active = $"v{n}" };
                }
            }

            Assert.True(s.Versions.Count <= RankingState.MaxVersions);
            Assert.Equal(Math.Min(count, RankingState.MaxVersions), s.Versions.Count);
            if (activeAt <= count)
            {
                Assert.NotNull(s.Find($"v{activeAt}"));
                if (activeAt > 1)
                {
                    Assert.NotNull(s.Find($"v{activeAt - 1}"));
                }
            }

            Assert.NotNull(s.Find($"v{count}"));
        }, iter: 40);
    }

    [Fact]
    public void TheHistoryKeepsTheNewestChanges()
    {
        var s = new RankingState();
        for (var i = 0; i < RankingState.MaxHistory + 25; i++)
        {
            s = s.WithChange(new RankingChange("PROMOTE", null, $"v{i}", "a", DateTimeOffset.UnixEpoch));
        }

        Assert.Equal(RankingState.MaxHistory, s.History.Count);
        Assert.Equal($"v{RankingState.MaxHistory + 24}", s.History[^1].To);
        Assert.Equal("v25", s.History[0].To);
    }
}
