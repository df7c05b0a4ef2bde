using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Autonomy.Accounts;
using Autonomy.Actions;
using Autonomy.Common;
using Autonomy.Hosting;
using Autonomy.Learning;
using Autonomy.Ledger;
using Autonomy.Tenants;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Autonomy.Sellers;

/// <summary>
/// A seller's view of the system: the needs-input queue, the timeline ("Autopilot did X") and the daily digest.
/// Account grains own proposals and actions; this grain keeps the index a seller reads, newest first. With the
/// digest switched on, a reminder checks every <see cref="AutonomyEngineOptions.DigestTick"/> whether the
/// digest is due and delivers it (to the webhook when one is set), once per local day, ledgered.
/// </summary>
[GrainType("autonomy.seller")]
public sealed partial class SellerGrain(
    [PersistentState("seller", "autonomy")] IPersistentState<SellerState> state,
    ILedger ledger,
    SignedWebhook webhook,
    IOptions<AutonomyEngineOptions> options,
    ILogger<SellerGrain> logger,
    [FromKeyedServices(AutonomyClock.Key)] TimeProvider time) : Grain, ISellerGrain, IRemindable
{
    private const string DigestReminder = "digest";

    private LedgerStream? _stream;
    private IGrainTimer? _revocationRetry;

    private (string TenantId, string SellerId) Key => Ids.SplitKey(this.GetPrimaryKeyString());

    public async Task AddNeedsInputAsync(ImmutableArray<ProposalView> proposals)
    {
        var queue = state.State.NeedsInput.SetItems(proposals.Select(p => KeyValuePair.Create(p.ProposalId, p)));
        if (queue.Count > SellerState.MaxNeedsInput)
        {
            // The oldest leave this index only: they stay pending on their accounts until answered or expired.
            queue = queue.RemoveRange(queue.Values.OrderBy(p => p.CreatedAt).ThenBy(p => p.ProposalId, StringComparer.Ordinal)
                .Take(queue.Count - SellerState.MaxNeedsInput).Select(p => p.ProposalId));
        }

        await WriteAsync(state.State with { NeedsInput = queue });
        foreach (var p in proposals) Publish(LiveEventKinds.Proposal, p.AccountId, p.ProposalId);
    }

    public Task TrackScheduleOptInAsync(string accountId, bool optedIn)
    {
        var set = optedIn ? state.State.ScheduleOptIns.Add(accountId) : state.State.ScheduleOptIns.Remove(accountId);
        if (optedIn && set.Count > SellerState.MaxScheduleOptIns)
        {
            throw new ConflictException("TOO_MANY_OPT_INS", $"A seller may have at most {SellerState.MaxScheduleOptIns} accounts on autonomous schedules.");
        }

        return ReferenceEquals(set, state.State.ScheduleOptIns) ? Task.CompletedTask : WriteAsync(state.State with { ScheduleOptIns = set });
    }

    public async Task RemoveNeedsInputAsync(string proposalId)
    {
        if (!state.State.NeedsInput.TryGetValue(proposalId, out var proposal)) return;
        await WriteAsync(state.State with { NeedsInput = state.State.NeedsInput.Remove(proposalId) });
        Publish(LiveEventKinds.ProposalResolved, proposal.AccountId, proposalId);
    }

    public async Task RecordActionAsync(ActionView action)
    {
        var timeline = state.State.Timeline.RemoveAll(a => a.ActionId == action.ActionId).Add(action);
        await WriteAsync(state.State with { Timeline = Bounded(timeline, SellerState.MaxTimeline) });
        Publish(LiveEventKinds.Action, action.AccountId, action.ActionId);
    }

    public async Task RecordSkippedAsync(SkippedItem item)
    {
        await WriteAsync(state.State with { Skipped = Bounded(state.State.Skipped.Add(item), SellerState.MaxSkipped) });
        Publish(LiveEventKinds.Skipped, item.AccountId, item.RunId);
    }

    /// <summary>Tells the seller's open pages (one way: never the caller's delay or failure).</summary>
    private void Publish(string kind, string? accountId, string? id) =>
        this.PublishLive(new LiveEvent(kind, Key.TenantId, Key.SellerId, accountId, id, time.GetUtcNow()), logger);

    public async Task<ItemPage<ProposalView>> GetNeedsInputAsync(int limit, string? cursor) =>
        Page(NeedsInputOrder.Order(state.State.NeedsInput.Values, await ActiveRankingAsync()), limit, cursor);

    public Task<ItemPage<ActionView>> GetTimelineAsync(int limit, string? cursor) =>
        Task.FromResult(Page(state.State.Timeline.Reverse(), limit, cursor));

    public Task<DigestView> GetDigestAsync(DateOnly date)
    {
        var s = state.State;
        bool On(DateTimeOffset at) => DigestSchedule.LocalDate(s.Digest, at) == date;
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
        await Stream.AppendAsync(null, actor, new ConfigChangedPayload($"digest-settings:{Key.SellerId}", null, state.State.Digest, settings));
        await WriteAsync(state.State with { Digest = settings });
        try
        {
            await RevokeOptInsAsync();
        }
        catch
        {
            RetryRevocation();
            throw;
        }

        if (settings.Enabled)
        {
            await this.RegisterOrUpdateReminder(DigestReminder, options.Value.DigestTick, options.Value.DigestTick);
        }
        else if (await this.GetReminder(DigestReminder) is { } reminder)
        {
            await this.UnregisterReminder(reminder);
        }

        return settings;
    }

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        var now = time.GetUtcNow();
        if (reminderName != DigestReminder || DigestSchedule.Due(state.State.Digest, state.State.LastDigest, now) is not { } today)
        {
            return;
        }

        var digest = await GetDigestAsync(today.AddDays(-1));

        // Ledger first: the intent to send is durable before the webhook is called.
        await Stream.AppendAsync(null, Actor.System, new DigestDeliveringPayload(Key.SellerId, digest.Date, state.State.Digest.WebhookUrl is not null, DigestKey(today)));
        var (channel, delivered, detail) = await DeliverAsync(digest, today);
        await Stream.AppendAsync(null, Actor.System, new DigestDeliveredPayload(
            Key.SellerId, digest.Date, channel, delivered, detail, digest.Done.Length, digest.Skipped.Length, digest.Waiting.Length, digest.AutonomousActions));
        await WriteAsync(state.State with { LastDigest = today });
    }

    /// <summary>POSTs the digest to the seller's webhook (idempotent per seller and day); without one it waits in the API.</summary>
    private async Task<(string Channel, bool Delivered, string Detail)> DeliverAsync(DigestView digest, DateOnly today)
    {
        if (state.State.Digest.WebhookUrl is not { } url)
        {
            return ("api", true, $"Ready at GET .../sellers/{Key.SellerId}/digest?date={digest.Date:yyyy-MM-dd}.");
        }

        var body = new JsonObject { ["tenantId"] = Key.TenantId, ["sellerId"] = Key.SellerId, ["digest"] = WireDigest(digest) };
        try
        {
            var status = await webhook.PostAsync(Key.TenantId, url, DigestKey(today), JsonSerializer.SerializeToUtf8Bytes(body));
            return ("webhook", (int)status is >= 200 and < 300, $"Webhook answered {(int)status}.");
        }
        catch (Exception ex) when (ex is HttpRequestException or TimeoutException or TaskCanceledException or Polly.Timeout.TimeoutRejectedException or Polly.CircuitBreaker.BrokenCircuitException)
        {
            logger.LogWarning(ex, "Digest of {TenantId}/{SellerId} for {Date} not delivered", Key.TenantId, Key.SellerId, digest.Date);
            return ("webhook", false, $"Webhook failed: {OutgoingFailure.Reason(ex)}.");
        }
    }

    /// <summary>The digest as the API shows it: parameters as JSON objects, not as the text grains carry.</summary>
    private static JsonNode WireDigest(DigestView digest)
    {
        var node = JsonSerializer.SerializeToNode(digest, LedgerJson.Options)!;
        foreach (var list in new[] { "done", "waiting" })
        {
            foreach (var item in node[list]?.AsArray().OfType<JsonObject>() ?? [])
            {
                if (item["parameters"] is JsonValue text && text.TryGetValue(out string? json))
                {
                    item["parameters"] = JsonNode.Parse(json);
                }
            }
        }

        return node;
    }

    private string DigestKey(DateOnly today) => $"digest:{Key.TenantId}:{Key.SellerId}:{today:yyyy-MM-dd}";

    private LedgerStream Stream => _stream ??= new LedgerStream(ledger, time, Key.TenantId, $"seller/{Key.TenantId}/{Key.SellerId}");

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

    private Task WriteAsync(SellerState next) => state.ReplaceAsync(next);

    /// <summary>The opt-ins revoked between two writes of what is left: a revocation cut short repeats at most these (each is idempotent).</summary>
    internal const int RevocationsPerWrite = 100;

    /// <summary>
    /// While the digest is off, revokes every opt-in this seller still lists (ledgered, then at the tenant, which holds
    /// the only copy the policy reads; the seller never calls its accounts, they call it). An account leaves the list
    /// only after the tenant dropped it, so a revocation cut short (a caller's timeout, a silo lost) leaves the rest
    /// listed, and the next activation finishes it; the list is never emptied ahead of the tenant.
    /// </summary>
    private async Task RevokeOptInsAsync()
    {
        var revoked = 0;
        foreach (var accountId in state.State.ScheduleOptIns.Order(StringComparer.Ordinal).ToList())
        {
            if (state.State.Digest.Enabled)
            {
                return;
            }

            await Stream.AppendAsync(null, Actor.System, new OptInRevokedPayload(
                accountId, "OWNER_DIGEST_DISABLED", $"The owner {Key.SellerId} switched the daily digest off; autonomous schedules need it on."));
            await GrainFactory.GetGrain<ITenantGrain>(Key.TenantId).SetScheduleOptInAsync(accountId, false, Actor.System);
            state.State = state.State with { ScheduleOptIns = state.State.ScheduleOptIns.Remove(accountId) };
            if (++revoked % RevocationsPerWrite == 0)
            {
                await state.WriteStateAsync();
            }
        }

        if (revoked % RevocationsPerWrite != 0)
        {
            await state.WriteStateAsync();
        }
    }

    /// <summary>A revocation that failed is tried again a minute later while this activation lives, and on the next activation.</summary>
    private void RetryRevocation(TimeSpan? after = null)
    {
        _revocationRetry?.Dispose();
        _revocationRetry = this.RegisterGrainTimer(
            async _ =>
            {
                try
                {
                    await RevokeOptInsAsync();
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    logger.LogWarning(ex, "Revoking the opt-ins of seller {SellerId} of tenant {TenantId} failed; retrying in a minute", Key.SellerId, Key.TenantId);
                    RetryRevocation();
                }
            },
            new GrainTimerCreationOptions(after ?? TimeSpan.FromMinutes(1), Timeout.InfiniteTimeSpan) { Interleave = false });
    }

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (!state.State.Digest.Enabled && !state.State.ScheduleOptIns.IsEmpty)
        {
            // A revocation cut short: finished in a turn of its own, so the activation (and its caller) need not wait for it.
            RetryRevocation(TimeSpan.Zero);
        }

        return base.OnActivateAsync(cancellationToken);
    }
}
