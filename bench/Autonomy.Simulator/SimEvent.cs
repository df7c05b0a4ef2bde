namespace Autonomy.Simulator;

internal enum EventKind : byte
{
    Signal,
    BurstStart,
    BurstSignal,
    Renewal,
    Wake,
    Tick,
    Pull,
    Hour,
}

internal readonly record struct SimEvent(int Account, EventKind Kind, int Version);
