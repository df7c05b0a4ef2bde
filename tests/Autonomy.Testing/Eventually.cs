using System.Diagnostics;

namespace Autonomy.Tests.Support;

/// <summary>
/// The one wait of the tests for something truly asynchronous (a reminder tick, a process becoming ready, a commit
/// becoming visible): a bounded poll that fails with a <see cref="TimeoutException"/> naming what it waited for.
/// Not for letting time pass: time is a FakeTimeProvider the test advances.
/// </summary>
public static class Eventually
{
    /// <summary>Between two looks at the condition.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// Reads until <paramref name="done"/> holds for what was read and returns that; after <paramref name="timeout"/>
    /// throws, naming <paramref name="what"/>.
    /// </summary>
    public static async Task<T> UntilAsync<T>(Func<Task<T>> read, Func<T, bool> done, TimeSpan timeout, string what, TimeSpan? interval = null)
    {
        var waited = Stopwatch.StartNew();
        while (true)
        {
            var value = await read();
            if (done(value))
            {
                return value;
            }

            if (waited.Elapsed >= timeout)
            {
                throw new TimeoutException($"Timed out after {timeout.TotalSeconds:0.###} s waiting for: {what}.");
            }

            await Task.Delay(interval ?? Interval);
        }
    }

    /// <summary>Polls <paramref name="condition"/> until it holds; after <paramref name="timeout"/> throws, naming <paramref name="what"/>.</summary>
    public static Task UntilAsync(Func<Task<bool>> condition, TimeSpan timeout, string what, TimeSpan? interval = null) =>
        UntilAsync(condition, held => held, timeout, what, interval);

    /// <summary>Polls <paramref name="condition"/> until it holds; after <paramref name="timeout"/> throws, naming <paramref name="what"/>.</summary>
    public static Task UntilAsync(Func<bool> condition, TimeSpan timeout, string what, TimeSpan? interval = null) =>
        UntilAsync(() => Task.FromResult(condition()), held => held, timeout, what, interval);

    /// <summary>Polls <paramref name="find"/> until it finds something and returns it; after <paramref name="timeout"/> throws, naming <paramref name="what"/>.</summary>
    public static async Task<T> FoundAsync<T>(Func<Task<T?>> find, TimeSpan timeout, string what)
        where T : class =>
        (await UntilAsync(find, found => found is not null, timeout, what))!;
}
