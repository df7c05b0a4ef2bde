using Autonomy.Accounts;
using CsCheck;

namespace Autonomy.Tests.Accounts;

/// <summary>Every collection an account keeps has a bound; these pin the ones the state enforces itself.</summary>
public class AccountStateBoundsTests
{
    [Fact]
    public void SignalMemoryRemembersExactlyTheMostRecentDistinctIdsOnce() =>
        Gen.Select(Gen.Int[0, 40].Select(i => $"s{i}").Array[0, 200], Gen.Int[1, 20]).Sample((ids, capacity) =>
        {
            var memory = ids.Aggregate(SignalMemory.Empty, (m, id) => m.Remember(id, capacity));

            var model = new List<string>();
            foreach (var id in ids)
            {
                if (model.Contains(id))
                {
                    continue;
                }

                model.Add(id);
                if (model.Count > capacity)
                {
                    model.RemoveAt(0);
                }
            }

            Assert.Equal(model, memory.Order);
            Assert.Equal(model.Count, memory.Count);
            Assert.All(model, id => Assert.True(memory.Contains(id)));
            Assert.True(memory.Count <= capacity);
        });

    [Fact]
    public void AMemoryLoadedWithoutItsLookupAnswersTheSame()
    {
        var memory = new[] { "a", "b", "c" }.Aggregate(SignalMemory.Empty, (m, id) => m.Remember(id, 2));
        var loaded = new SignalMemory(memory.Order, memory.Count);

        Assert.False(loaded.Contains("a"));
        Assert.True(loaded.Contains("b") && loaded.Contains("c"));
        Assert.Equal(["c", "d"], loaded.Remember("d", 2).Order);
    }

    [Fact]
    public void ResolvedProposalsAreTrimmedToTheirBoundAndTheNewestAreKept()
    {
        var s = new AccountState();
        for (var i = 0; i < AccountState.MaxResolved + 50; i++)
        {
            s = s.WithResolved($"p{i}", "REJECTED");
        }

        Assert.Equal(AccountState.MaxResolved, s.Resolved.Count);
        Assert.Null(s.ResolutionOf("p0"));
        Assert.Equal("REJECTED", s.ResolutionOf($"p{AccountState.MaxResolved + 49}"));
    }

    [Fact]
    public void StateStoredByAnEarlierVersionIsMigratedIntoTheBoundedShapes()
    {
        var legacy = new AccountState
        {
            LegacySeenOrder = [.. Enumerable.Range(0, 10).Select(i => $"s{i}")],
            LegacyResolved = System.Collections.Immutable.ImmutableDictionary<string, string>.Empty.Add("p1", "a.x.1"),
        };

        var s = legacy.Migrated(signalMemory: 4);

        Assert.Equal(["s6", "s7", "s8", "s9"], s.Signals.Order);
        Assert.Equal("a.x.1", s.ResolutionOf("p1"));
        Assert.Null(s.LegacySeenOrder);
        Assert.Null(s.LegacyResolved);
    }

    [Fact]
    public void ActionsAreTrimmedToTheirBound()
    {
        var s = new AccountState();
        var action = new ActionView("a", "r", "acc", "seller", "CREATE_TASK", "{}", true, ActionStatus.Succeeded, DateTimeOffset.UnixEpoch, Autonomy.Policy.PolicyReason.AllowedByPolicy, "", "", null, null, null, true);
        for (var i = 0; i < AccountState.MaxActions + 10; i++)
        {
            s = s.WithAction(action with { ActionId = $"a{i}" });
        }

        Assert.Equal(AccountState.MaxActions, s.Actions.Count);
        Assert.Equal($"a{AccountState.MaxActions + 9}", s.Actions[^1].ActionId);
    }
}
