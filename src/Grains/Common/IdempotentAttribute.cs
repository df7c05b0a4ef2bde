namespace Autonomy.Common;

/// <summary>
/// Marks a grain interface method whose repetition with the same arguments has the effect of one call: a read,
/// or a write deduplicated by its arguments (signal ids) or that sets the same values again. The gateway retries
/// such calls when a silo is lost under them (a call that may or may not have run is safe to send again);
/// every other call reaches the client as it failed.
/// </summary>
[AttributeUsage(AttributeTargets.Method, Inherited = false)]
public sealed class IdempotentAttribute : Attribute
{
    /// <summary>
    /// The response timeout of one attempt of an idempotent call the gateway makes (<c>[ResponseTimeout]</c> on the
    /// method). An Orleans client is not told when a silo dies, so a call in flight to it waits out its whole
    /// response timeout (30 s by default); bounded like this, it is abandoned in time to be retried on a survivor.
    /// </summary>
    public const string AttemptTimeout = "00:00:05";
}
