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

    /// <summary>
    /// Any mix of trainings, promotions and rollbacks: the bound holds, and every version a chain of rollbacks from
    /// the active one reaches stays kept (only a chain longer than the bound loses its oldest end), so a rollback
    /// never has to give up on a ranker that a mere candidate pushed out.
    /// </summary>
    [Fact]
    public void TheBoundKeepsEveryVersionARollbackChainReaches() =>
        Gen.Int[0, 2].Array[1, 220].Sample(ops =>
        {
            var s = new RankingState();
            var from = new Dictionary<string, string?>();
            var n = 0;
            foreach (var op in ops)
            {
                if (op == 2)
                {
                    if (s.Active is { } active)
                    {
                        s = s with { Active = s.RollbackTargetOf(s.Find(active)!) };
                    }

                    continue;
                }

                var version = Version(++n);
                s = s.WithVersion(version);
                if (op == 1)
                {
                    from[version.Model.Version] = s.Active;
                    s = s.Replace(version with { ActivatedFrom = s.Active }) with { Active = version.Model.Version };
                }

                Assert.True(s.Versions.Count <= RankingState.MaxVersions);
                Assert.NotNull(s.Find(version.Model.Version));
            }

            // The whole chain as promotions made it, nearest first, whatever the bound kept.
            var full = new List<string>();
            for (var at = s.Active; at is not null && !full.Contains(at); at = from.GetValueOrDefault(at))
            {
                full.Add(at);
            }

            var kept = s.RollbackChain().ToList();
            Assert.Equal(full.Take(kept.Count), kept);
            Assert.True(kept.Count >= Math.Min(full.Count, RankingState.MaxVersions - 1), $"kept {kept.Count} of a chain of {full.Count}");
            Assert.Equal(Math.Min(n, RankingState.MaxVersions), s.Versions.Count);
        }, iter: 200);

    [Fact]
    public void ARollbackWhoseTargetIsNoLongerKeptGoesToThePriorNeverToAMissingVersion()
    {
        var v2 = Version(2, from: "v1");
        var without = new RankingState().WithVersion(v2) with { Active = "v2" };
        var with = new RankingState().WithVersion(Version(1)).WithVersion(v2) with { Active = "v2" };

        Assert.Null(without.RollbackTargetOf(v2));
        Assert.Equal("v1", with.RollbackTargetOf(v2));
        Assert.Null(with.RollbackTargetOf(Version(1)));
    }
}
