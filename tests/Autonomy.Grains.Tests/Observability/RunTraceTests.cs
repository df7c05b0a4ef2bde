using System.Diagnostics;

namespace Autonomy.Tests.Observability;

/// <summary>How a decision run's span joins the traces of the ingests it decides.</summary>
public sealed class RunTraceTests : IDisposable
{
    private readonly ActivitySource _requests = new("RunTraceTests.Requests");
    private readonly ActivityListener _listener = new()
    {
        ShouldListenTo = source => source.Name is AutonomyMetrics.Name or "RunTraceTests.Requests",
        Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
    };

    public RunTraceTests() => ActivitySource.AddActivityListener(_listener);

    [Fact]
    public void ARunIsAChildOfTheFirstIngestAndLinksTheOthers()
    {
        var trace = new RunTrace();
        var (first, second) = (Ingest(), Ingest());
        trace.Join(first);
        trace.Join(second);

        using var run = trace.StartRun("run-1", startedBySchedule: false);

        Assert.NotNull(run);
        Assert.Equal(first.TraceId, run.TraceId);
        Assert.Equal(first.SpanId, run.ParentSpanId);
        Assert.Equal([second.Context], run.Links.Select(l => l.Context));
        Assert.Equal("run-1", run.GetTagItem("autonomy.run_id"));
    }

    [Fact]
    public void TheNextRunStartsAfreshAndAScheduledOneOnlyLinks()
    {
        var trace = new RunTrace();
        var ingest = Ingest();
        trace.Join(ingest);
        using (trace.StartRun("run-1", startedBySchedule: false))
        {
        }

        using var unrelated = trace.StartRun("run-2", startedBySchedule: false);
        Assert.NotEqual(ingest.TraceId, unrelated!.TraceId);
        Assert.Empty(unrelated.Links);

        trace.Join(ingest);
        using var ritual = trace.StartRun("run-3", startedBySchedule: true);
        Assert.NotEqual(ingest.TraceId, ritual!.TraceId);
        Assert.Equal([ingest.Context], ritual.Links.Select(l => l.Context));
    }

    [Fact]
    public void ARunLinksAtMostTheBound()
    {
        var trace = new RunTrace();
        for (var i = 0; i < RunTrace.MaxLinks + 10; i++)
        {
            trace.Join(Ingest());
        }

        using var run = trace.StartRun("run-1", startedBySchedule: false);

        Assert.Equal(RunTrace.MaxLinks, run!.Links.Count());
    }

    public void Dispose()
    {
        _listener.Dispose();
        _requests.Dispose();
    }

    /// <summary>A finished span of another request, as an ingest's grain call leaves it.</summary>
    private Activity Ingest()
    {
        var previous = Activity.Current;
        Activity.Current = null;
        var activity = _requests.StartActivity("ingest")!;
        activity.Stop();
        Activity.Current = previous;
        return activity;
    }
}
