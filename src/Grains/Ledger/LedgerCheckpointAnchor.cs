using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text.Json;
using Autonomy.Actions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;

namespace Autonomy.Ledger;

/// <summary>
/// External anchoring: POSTs a checkpoint, once durable, to the tenant's anchor webhook so a copy lives outside the
/// operator's database. The body is the checkpoint's export line (<c>"kind":"checkpoint"</c>, as
/// <c>GET .../ledger/export</c> writes it), the <c>Idempotency-Key</c> (and <c>webhook-id</c>) its checkpoint id,
/// signed like every webhook (<see cref="SignedWebhook"/>: one deadline, a capped body, retries, the circuit breaker,
/// the private-address rule). A delivery that still fails stays in the writer's <see cref="LedgerAnchorQueue"/> and is
/// tried again, oldest first, at every later tick of the checkpoint writer (each checkpoint interval) until it is
/// delivered; meanwhile it counts in <c>autonomy.ledger.checkpoint_anchor_backlog</c> and the silo's readiness check
/// reports Degraded (<see cref="LedgerAnchorHealth"/>). The checkpoint itself stays written either way.
/// </summary>
public sealed class LedgerCheckpointAnchor(SignedWebhook webhook, LedgerAnchorHealth health, ILogger<LedgerCheckpointAnchor> logger)
{
    private static readonly Meter Meter = new(LedgerMetrics.MeterName);
    private static readonly Counter<long> Sent = Meter.CreateCounter<long>(
        "autonomy.ledger.checkpoint_anchors", "{checkpoint}", "Ledger checkpoint deliveries to a tenant's anchor webhook, by outcome (succeeded) and whether it was a retry.");

    internal static readonly UpDownCounter<long> Backlog = Meter.CreateUpDownCounter<long>(
        "autonomy.ledger.checkpoint_anchor_backlog", "{checkpoint}", "Ledger checkpoints written but not yet delivered to their tenant's anchor webhook.");

    internal static readonly Counter<long> Dropped = Meter.CreateCounter<long>(
        "autonomy.ledger.checkpoint_anchor_dropped", "{checkpoint}", "Undelivered ledger checkpoints given up on (the backlog was full, or its writer was deactivated).");

    /// <summary>The most deliveries one call makes, so a long backlog never holds its writer past a grain call's timeout.</summary>
    public const int MaxPerCall = 8;

    /// <summary>
    /// Sends the queued checkpoints to <paramref name="url"/>, oldest first, stopping at the first that fails (or after
    /// <see cref="MaxPerCall"/>); true when none is left.
    /// </summary>
    public async Task<bool> DeliverAsync(string url, LedgerAnchorQueue queue, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(url);
        ArgumentNullException.ThrowIfNull(queue);
        for (var sent = 0; queue.Peek() is { } next; sent++)
        {
            if (sent == MaxPerCall)
            {
                health.Behind(queue.TenantId, queue.Count, queue.OldestSince!.Value);
                return false;
            }

            var retry = queue.Attempted(next);
            if (!await SendAsync(url, next.Checkpoint, retry, cancellationToken))
            {
                health.Behind(queue.TenantId, queue.Count, queue.OldestSince!.Value);
                return false;
            }

            queue.Delivered();
        }

        health.CaughtUp(queue.TenantId);
        return true;
    }

    /// <summary>A writer going away takes its queue with it: its tenant no longer counts as behind on this silo.</summary>
    public void Forget(string tenantId) => health.CaughtUp(tenantId);

    /// <summary>Sends <paramref name="checkpoint"/> to <paramref name="url"/>; true when the receiver answered 2xx.</summary>
    public async Task<bool> SendAsync(string url, LedgerCheckpoint checkpoint, bool retry, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(url);
        ArgumentNullException.ThrowIfNull(checkpoint);
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            LedgerCheckpointJson.WriteLine(writer, checkpoint);
        }

        try
        {
            var status = await webhook.PostAsync(checkpoint.TenantId, url, checkpoint.CheckpointId, buffer.ToArray(), cancellationToken: cancellationToken);
            var ok = (int)status is >= 200 and < 300;
            Sent.Add(1, new KeyValuePair<string, object?>("succeeded", ok), new KeyValuePair<string, object?>("retry", retry));
            if (!ok)
            {
                logger.LogWarning("Checkpoint {CheckpointId} of tenant {TenantId}: the anchor webhook answered {Status}", checkpoint.CheckpointId, checkpoint.TenantId, (int)status);
            }

            return ok;
        }
        catch (Exception ex) when (ex is HttpRequestException or TimeoutException or TaskCanceledException or Polly.Timeout.TimeoutRejectedException or Polly.CircuitBreaker.BrokenCircuitException)
        {
            Sent.Add(1, new KeyValuePair<string, object?>("succeeded", false), new KeyValuePair<string, object?>("retry", retry));
            logger.LogWarning(ex, "Checkpoint {CheckpointId} of tenant {TenantId} not delivered to the anchor webhook: {Reason}", checkpoint.CheckpointId, checkpoint.TenantId, OutgoingFailure.Reason(ex));
            return false;
        }
    }
}

/// <summary>
/// One checkpoint writer's checkpoints not yet delivered to the anchor webhook, oldest first, at most
/// <see cref="MaxPending"/> (a full queue gives up its oldest: the receiver still sees the gap, since every checkpoint
/// names its predecessor's hash). Kept in memory by the writer's activation. Not thread safe: one grain.
/// </summary>
public sealed class LedgerAnchorQueue(string tenantId, TimeProvider time)
{
    public const int MaxPending = 64;

    private readonly Queue<Pending> _pending = new();

    public string TenantId { get; } = tenantId;

    public int Count => _pending.Count;

    /// <summary>When the oldest undelivered checkpoint was queued, or null when none waits.</summary>
    public DateTimeOffset? OldestSince => _pending.TryPeek(out var oldest) ? oldest.Since : null;

    public void Add(LedgerCheckpoint checkpoint)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        if (_pending.Count >= MaxPending)
        {
            _pending.Dequeue();
            LedgerCheckpointAnchor.Backlog.Add(-1);
            LedgerCheckpointAnchor.Dropped.Add(1);
        }

        _pending.Enqueue(new Pending(checkpoint, time.GetUtcNow()));
        LedgerCheckpointAnchor.Backlog.Add(1);
    }

    /// <summary>Forgets every undelivered checkpoint (no anchor any more, or the writer is going away); returns how many.</summary>
    public int Clear(bool dropped)
    {
        var count = _pending.Count;
        _pending.Clear();
        LedgerCheckpointAnchor.Backlog.Add(-count);
        if (dropped && count > 0)
        {
            LedgerCheckpointAnchor.Dropped.Add(count);
        }

        return count;
    }

    internal Pending? Peek() => _pending.TryPeek(out var next) ? next : null;

    /// <summary>Counts an attempt of <paramref name="pending"/>; true when it is a retry.</summary>
    internal bool Attempted(Pending pending) => pending.Attempts++ > 0;

    internal void Delivered()
    {
        _pending.Dequeue();
        LedgerCheckpointAnchor.Backlog.Add(-1);
    }

    internal sealed class Pending(LedgerCheckpoint checkpoint, DateTimeOffset since)
    {
        public LedgerCheckpoint Checkpoint { get; } = checkpoint;

        public DateTimeOffset Since { get; } = since;

        public int Attempts { get; set; }
    }
}

/// <summary>
/// The tenants on this silo whose checkpoints are not delivered to their anchor webhook (bounded by the checkpoint
/// writers active here), read by the readiness check: Degraded while any is behind, so an operator sees it.
/// </summary>
public sealed class LedgerAnchorHealth
{
    private readonly ConcurrentDictionary<string, (int Pending, DateTimeOffset Since)> _behind = new(StringComparer.Ordinal);

    public void Behind(string tenantId, int pending, DateTimeOffset since) => _behind[tenantId] = (pending, since);

    public void CaughtUp(string tenantId) => _behind.TryRemove(tenantId, out _);

    /// <summary>How many tenants are behind, how many checkpoints wait in all, and since when the oldest has.</summary>
    public (int Tenants, int Checkpoints, DateTimeOffset? OldestSince) Snapshot()
    {
        var values = _behind.Values.ToList();
        return (values.Count, values.Sum(v => v.Pending), values.Count == 0 ? null : values.Min(v => v.Since));
    }
}

/// <summary>Readiness (tag <c>ready</c>): Degraded while a tenant's checkpoints wait for their anchor webhook; a silo that is behind still serves.</summary>
public sealed class LedgerAnchorHealthCheck(LedgerAnchorHealth health) : IHealthCheck
{
    public const string Name = "ledger-anchors";

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var (tenants, checkpoints, since) = health.Snapshot();
        return Task.FromResult(tenants == 0
            ? HealthCheckResult.Healthy("Every checkpoint is delivered to its anchor webhook.")
            : HealthCheckResult.Degraded(string.Create(
                CultureInfo.InvariantCulture,
                $"{checkpoints} ledger checkpoints of {tenants} tenants are not delivered to their anchor webhook yet (oldest since {since:O}); they are retried every checkpoint interval.")));
    }
}
