using System.Diagnostics;

namespace Autonomy;

/// <summary>
/// Ties a decision run to the requests whose signals it decides. The run starts on the account's timer after the
/// debounce, when the request that brought the signal has long returned, so nothing carries its trace there on its
/// own: the account keeps the trace context of the first ingest since its last run (in memory, not in state) and the
/// run's span takes it as its parent, so the request, the grain calls, the run and the executor call are one trace.
/// Later ingests that joined the same window become links (at most <see cref="MaxLinks"/>). A scheduled run (a ritual)
/// starts a trace of its own and links the ingests whose parked signals it takes.
/// </summary>
public sealed class RunTrace
{
    /// <summary>The most ingests one run links besides its parent.</summary>
    public const int MaxLinks = 32;

    private ActivityContext? _first;
    private List<ActivityLink> _links = [];

    /// <summary>Remembers the trace of an ingest (the current activity: the grain call's span) for the next run.</summary>
    public void Join(Activity? ingest)
    {
        if (ingest is null)
        {
            return;
        }

        if (_first is null)
        {
            _first = ingest.Context;
        }
        else if (_links.Count < MaxLinks)
        {
            _links.Add(new ActivityLink(ingest.Context));
        }
    }

    /// <summary>Starts the run's span (null when nobody listens) and forgets what it took: the next run starts afresh.</summary>
    public Activity? StartRun(string runId, bool startedBySchedule)
    {
        var links = _links;
        if (_first is { } first && startedBySchedule)
        {
            links = [new ActivityLink(first), .. links];
        }

        var parent = startedBySchedule ? default : _first ?? default;
        (_first, _links) = (null, []);
        var activity = AutonomyMetrics.Source.StartActivity("autonomy.decision-run", ActivityKind.Internal, parent, links: links);
        activity?.SetTag("autonomy.run_id", runId);
        return activity;
    }
}
