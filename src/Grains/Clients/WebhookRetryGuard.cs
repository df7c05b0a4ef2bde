namespace Autonomy.Actions;

/// <summary>
/// Asks, before each retry of one webhook delivery, whether it may still go out. The resilience pipeline retries inside
/// one executor call, after a backoff; a kill switch engaged since the execution grain's last read must stop those
/// later attempts too. The first attempt is not asked: the caller read the switches right before it.
/// </summary>
public sealed class WebhookRetryGuard : DelegatingHandler
{
    /// <summary>The request option that carries the question (absent: every retry goes out, as for digests and anchors).</summary>
    public static readonly HttpRequestOptionsKey<RetryPermit> Permit = new("autonomy.webhook.retry-permit");

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Options.TryGetValue(Permit, out var permit) && !await permit.MayAttemptAsync(cancellationToken))
        {
            throw new WebhookRetryRefusedException($"A retry of the delivery to {request.RequestUri?.Authority} was refused: a kill switch covers it now.");
        }

        return await base.SendAsync(request, cancellationToken);
    }
}

/// <summary>The attempts of one delivery: the first goes out; each later one only if <c>mayRetry</c> says so when it is due.</summary>
public sealed class RetryPermit(Func<CancellationToken, Task<bool>> mayRetry)
{
    private int _attempts;

    public async Task<bool> MayAttemptAsync(CancellationToken cancellationToken) =>
        Interlocked.Increment(ref _attempts) == 1 || await mayRetry(cancellationToken);
}

/// <summary>A retry the guard refused; the retry pipeline does not handle it, so the delivery ends at once.</summary>
public sealed class WebhookRetryRefusedException(string message) : Exception(message);
