using System.Diagnostics.Metrics;

namespace Autonomy.Bench.Accounts;

/// <summary>
/// Orleans' own reminder instruments in this process: ticks delivered (<c>orleans-reminders-ticks-delivered</c>) and
/// how late delivery began (<c>orleans-reminders-tardiness</c>, seconds): count, maximum and how many were over a second.
/// </summary>
internal sealed class ReminderTicks : IDisposable
{
    private readonly MeterListener _listener = new();
    private long _delivered;
    private long _late;
    private long _tardinessCount;
    private double _maxTardiness;

    public ReminderTicks()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Name is "orleans-reminders-ticks-delivered" or "orleans-reminders-tardiness")
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, _, _) => Observe(instrument, value));
        _listener.SetMeasurementEventCallback<int>((instrument, value, _, _) => Observe(instrument, value));
        _listener.SetMeasurementEventCallback<double>((instrument, value, _, _) => Observe(instrument, value));
        _listener.Start();
    }

    public long Delivered => Interlocked.Read(ref _delivered);

    /// <summary>Tardiness since the last call: how many deliveries were measured, the latest start (s), how many began over 1 s late.</summary>
    public (long Count, double MaxSeconds, long OverOneSecond) TakeTardiness()
    {
        lock (_listener)
        {
            var taken = (_tardinessCount, _maxTardiness, _late);
            _tardinessCount = 0;
            _maxTardiness = 0;
            _late = 0;
            return taken;
        }
    }

    public void Dispose() => _listener.Dispose();

    private void Observe(Instrument instrument, double value)
    {
        if (instrument.Name == "orleans-reminders-ticks-delivered")
        {
            Interlocked.Add(ref _delivered, (long)value);
            return;
        }

        lock (_listener)
        {
            _tardinessCount++;
            _maxTardiness = Math.Max(_maxTardiness, value);
            if (value > 1)
            {
                _late++;
            }
        }
    }
}
