using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Autonomy.Tests.Support;

namespace Autonomy.Tests.Accounts;

/// <summary>An embedded silo (the gate's silo default interval 0, chat calls bounded at 2 s) and a chat endpoint on loopback.</summary>
public sealed class CostGateFixture : IAsyncLifetime
{
    private readonly TempDirectory _directory = new();

    public AutonomyCluster Cluster { get; private set; } = null!;

    public FakeChatServer Chat { get; private set; } = null!;

    /// <summary>Every DEFER and SKIP counted, by instrument and reason.</summary>
    public ConcurrentDictionary<(string Instrument, string Reason), long> Counted { get; } = new();

    private MeterListener? _listener;

    public async Task InitializeAsync()
    {
        _listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == AutonomyMetrics.Name && instrument.Name is "autonomy.gate.deferred" or "autonomy.gate.skipped" or "autonomy.engine.fallbacks")
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "reason")
                {
                    Counted.AddOrUpdate((instrument.Name, (string)tag.Value!), value, (_, n) => n + value);
                }
            }
        });
        _listener.Start();
        Chat = await FakeChatServer.StartAsync();
        Cluster = await AutonomyCluster.StartAsync(_directory.Path, settings: new Dictionary<string, string?> { ["Autonomy:Chat:TotalTimeout"] = "00:00:02" });
    }

    public async Task DisposeAsync()
    {
        _listener?.Dispose();
        await Cluster.DisposeAsync();
        await Chat.DisposeAsync();
        _directory.Dispose();
    }
}
