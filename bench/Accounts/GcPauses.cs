using System.Diagnostics.Tracing;

namespace Autonomy.Bench.Accounts;

/// <summary>One stop of the world by the GC: how long, and the collection it belonged to (generation, kind, reason).</summary>
internal sealed record GcPause(double Ms, int Generation, string Kind, string Reason, DateTime At);

/// <summary>
/// Every GC pause of this process, from the runtime's own events (suspension began → execution restarted), with the
/// generation, kind (blocking, background, foreground) and reason of the collection it served. Bounded: counts and a
/// total for all, the pause list only for pauses of at least <see cref="KeptFromMs"/> (and at most 1,000 of them).
/// </summary>
internal sealed class GcPauses : EventListener
{
    public const double KeptFromMs = 200;
    private static readonly string[] Kinds = ["blocking", "background", "foreground"];
    private static readonly string[] Reasons =
    [
        "alloc-small", "induced", "low-memory", "empty", "alloc-large", "oos-small", "oos-large", "induced-noforce",
        "stress", "low-memory-blocking", "induced-compacting", "low-memory-host", "pm-full", "low-memory-host-blocking",
    ];

    private readonly Lock _gate = new();
    private readonly List<GcPause> _long = [];
    private DateTime? _suspendedAt;
    private int _generation;
    private string _kind = "";
    private string _reason = "";

    public long Count { get; private set; }
    public double TotalMs { get; private set; }
    public double MaxMs { get; private set; }

    /// <summary>The pauses kept so far (each at least <see cref="KeptFromMs"/>), and clears them.</summary>
    public (long Count, double TotalMs, double MaxMs, IReadOnlyList<GcPause> Long) Take()
    {
        lock (_gate)
        {
            var taken = (Count, TotalMs, MaxMs, (IReadOnlyList<GcPause>)[.. _long]);
            Count = 0;
            TotalMs = 0;
            MaxMs = 0;
            _long.Clear();
            return taken;
        }
    }

    protected override void OnEventSourceCreated(EventSource eventSource)
    {
        if (eventSource.Name == "Microsoft-Windows-DotNETRuntime")
        {
            EnableEvents(eventSource, EventLevel.Informational, (EventKeywords)0x1); // GC keyword
        }
    }

    protected override void OnEventWritten(EventWrittenEventArgs e)
    {
        lock (_gate)
        {
            switch (e.EventName)
            {
                case "GCStart_V2" or "GCStart_V1" or "GCStart":
                    _generation = Convert.ToInt32(e.Payload![e.PayloadNames!.IndexOf("Depth")], System.Globalization.CultureInfo.InvariantCulture);
                    var reason = Convert.ToInt32(e.Payload[e.PayloadNames.IndexOf("Reason")], System.Globalization.CultureInfo.InvariantCulture);
                    _reason = reason >= 0 && reason < Reasons.Length ? Reasons[reason] : reason.ToString(System.Globalization.CultureInfo.InvariantCulture);
                    var typeAt = e.PayloadNames.IndexOf("Type");
                    var kind = typeAt < 0 ? 0 : Convert.ToInt32(e.Payload[typeAt], System.Globalization.CultureInfo.InvariantCulture);
                    _kind = kind >= 0 && kind < Kinds.Length ? Kinds[kind] : kind.ToString(System.Globalization.CultureInfo.InvariantCulture);
                    break;
                case "GCSuspendEEBegin_V1" or "GCSuspendEEBegin":
                    _suspendedAt = e.TimeStamp;
                    break;
                case "GCRestartEEEnd_V1" or "GCRestartEEEnd" when _suspendedAt is { } from:
                    var ms = (e.TimeStamp - from).TotalMilliseconds;
                    _suspendedAt = null;
                    Count++;
                    TotalMs += ms;
                    MaxMs = Math.Max(MaxMs, ms);
                    if (ms >= KeptFromMs && _long.Count < 1000)
                    {
                        _long.Add(new GcPause(ms, _generation, _kind, _reason, e.TimeStamp));
                    }

                    break;
            }
        }
    }
}
