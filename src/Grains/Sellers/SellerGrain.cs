using Microsoft.Extensions.DependencyInjection;
using Autonomy.Hosting;
using System.Collections.Immutable;
using System.Globalization;
using Autonomy.Accounts;
using Autonomy.Common;
using Autonomy.Ledger;

namespace Autonomy.Sellers;

/// <summary>
/// A seller's view of the system: the needs-input queue, the timeline ("Autopilot did X") and the daily digest.
/// Account grains own proposals and actions; this grain keeps the index a seller reads, newest first.
/// </summary>
[GrainType("autonomy.seller")]
public sealed class SellerGrain(
    [PersistentState("seller", "autonomy")] IPersistentState<SellerState> state,
    ILedger ledger,
    [FromKeyedServices(AutonomyClock.Key)] TimeProvider time) : Grain, ISellerGrain
{
    private LedgerStream? stream;

    private (string TenantId, string SellerId) Key => Ids.SplitKey(this.GetPrimaryKeyString());

    public Task AddNeedsInputAsync(ImmutableArray<ProposalView> proposals) =>
        WriteAsync(state.State with { NeedsInput = state.State.NeedsInput.SetItems(proposals.Select(p => KeyValuePair.Create(p.ProposalId, p))) });

    public Task RemoveNeedsInputAsync(string proposalId) =>
        state.State.NeedsInput.ContainsKey(proposalId)
            ? WriteAsync(state.State with { NeedsInput = state.State.NeedsInput.Remove(proposalId) })
            : Task.CompletedTask;

    public Task RecordActionAsync(ActionView action)
    {
        var timeline = state.State.Timeline.RemoveAll(a => a.ActionId == action.ActionId).Add(action);
        return WriteAsync(state.State with { Timeline = Bounded(timeline, SellerState.MaxTimeline) });
    }

    public Task RecordSkippedAsync(SkippedItem item) =>
        WriteAsync(state.State with { Skipped = Bounded(state.State.Skipped.Add(item), SellerState.MaxSkipped) });

    public Task<ItemPage<ProposalView>> GetNeedsInputAsync(int limit, string? cursor) =>
        Task.FromResult(Page(state.State.NeedsInput.Values.OrderByDescending(p => p.CreatedAt).ThenByDescending(p => p.ProposalId, StringComparer.Ordinal), limit, cursor));

    public Task<ItemPage<ActionView>> GetTimelineAsync(int limit, string? cursor) =>
        Task.FromResult(Page(state.State.Timeline.Reverse(), limit, cursor));

    public Task<DigestView> GetDigestAsync(DateOnly date)
    {
        var s = state.State;
        bool On(DateTimeOffset at) => DateOnly.FromDateTime(at.UtcDateTime) == date;
        var done = s.Timeline.Where(a => On(a.ExecutedAt)).Reverse().ToImmutableArray();
        return Task.FromResult(new DigestView(
            Key.SellerId,
            date,
            done,
            [.. s.Skipped.Where(k => On(k.At)).Reverse()],
            [.. s.NeedsInput.Values.OrderByDescending(p => p.CreatedAt)],
            done.Count(a => a.Autonomous),
            s.Digest));
    }

    public Task<DigestSettings> GetDigestSettingsAsync() => Task.FromResult(state.State.Digest);

    public async Task<DigestSettings> SetDigestSettingsAsync(DigestSettings settings, Actor actor)
    {
        stream ??= new LedgerStream(ledger, time, Key.TenantId, $"seller/{Key.TenantId}/{Key.SellerId}");
        await stream.AppendAsync(LedgerTypes.ConfigChanged, null, actor.Id, new { kind = $"digest-settings:{Key.SellerId}", before = state.State.Digest, after = settings });
        await WriteAsync(state.State with { Digest = settings });
        return settings;
    }

    private static ImmutableList<T> Bounded<T>(ImmutableList<T> list, int max) =>
        list.Count > max ? list.RemoveRange(0, list.Count - max) : list;

    /// <summary>Offset paging over a list that only the head of changes; the cursor is the offset of the next page.</summary>
    private static ItemPage<T> Page<T>(IEnumerable<T> items, int limit, string? cursor)
    {
        var offset = int.TryParse(cursor, NumberStyles.None, CultureInfo.InvariantCulture, out var o) ? o : 0;
        var page = items.Skip(offset).Take(limit + 1).ToList();
        return new ItemPage<T>(
            [.. page.Take(limit)],
            page.Count > limit ? (offset + limit).ToString(CultureInfo.InvariantCulture) : null);
    }

    private async Task WriteAsync(SellerState next)
    {
        var previous = state.State;
        state.State = next;
        try
        {
            await state.WriteStateAsync();
        }
        catch
        {
            state.State = previous;
            throw;
        }
    }
}
