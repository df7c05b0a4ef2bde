namespace Autonomy.Hosting;

/// <summary>
/// The domain clock is the <see cref="TimeProvider"/> registered under this key. Orleans resolves the unkeyed
/// TimeProvider for its own timers, reminders and timeouts, so tests can replace the domain clock with a fake one
/// without freezing the runtime.
/// </summary>
public static class AutonomyClock
{
    public const string Key = "Autonomy";
}
