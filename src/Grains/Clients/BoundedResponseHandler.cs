using System.Globalization;
using System.Net;
using Polly.CircuitBreaker;
using Polly.Timeout;

namespace Autonomy.Actions;

/// <summary>
/// The one bound of an outgoing call (webhook, digest, anchor, connector, chat), the outermost handler of each named
/// client: under one deadline (the configured total timeout, or the caller's sooner one) it sends through the retries
/// below it, takes the response once its headers are read, refuses a redirect (never followed: a 3xx fails the call),
/// and reads the body into memory up to a byte cap. A body that drips or never ends fails the call when the deadline
/// passes; a body over the cap fails it at once. What the caller gets back holds its body already, so no later read
/// can outlive the deadline (<c>HttpClient</c>'s own buffering would otherwise run under its 100 s default).
/// </summary>
public sealed class BoundedResponseHandler(Func<TimeSpan> total, Func<int> maxBodyBytes) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var limit = total();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(limit);
        HttpResponseMessage? response = null;
        try
        {
            response = await base.SendAsync(request, deadline.Token);
            if ((int)response.StatusCode is >= 300 and < 400)
            {
                throw new OutgoingCallException(string.Create(
                    CultureInfo.InvariantCulture, $"the receiver answered {(int)response.StatusCode}, a redirect; redirects are never followed"));
            }

            response.Content = await CappedAsync(response.Content, maxBodyBytes(), deadline.Token);
            return response;
        }
        catch (OperationCanceledException ex) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            response?.Dispose();
            throw new OutgoingCallException(string.Create(CultureInfo.InvariantCulture, $"no complete answer within {limit.TotalSeconds:0.###} s"), new TimeoutException(ex.Message, ex));
        }
        catch
        {
            response?.Dispose();
            throw;
        }
    }

    /// <summary>The body read whole, or a failure once it passes <paramref name="max"/> bytes (announced or read).</summary>
    private static async Task<HttpContent> CappedAsync(HttpContent content, int max, CancellationToken cancellationToken)
    {
        if (content.Headers.ContentLength > max)
        {
            throw TooLarge(max);
        }

        using var buffer = new MemoryStream();
        await using (var body = await content.ReadAsStreamAsync(cancellationToken))
        {
            var chunk = new byte[16 * 1024];
            for (int read; (read = await body.ReadAsync(chunk, cancellationToken)) > 0;)
            {
                if (buffer.Length + read > max)
                {
                    throw TooLarge(max);
                }

                buffer.Write(chunk, 0, read);
            }
        }

        var copy = new ByteArrayContent(buffer.ToArray());
        foreach (var header in content.Headers)
        {
            copy.Headers.TryAddWithoutValidation(header.Key, header.Value);
        }

        content.Dispose();
        return copy;
    }

    private static OutgoingCallException TooLarge(int max) =>
        new(string.Create(CultureInfo.InvariantCulture, $"the answer is larger than {max} bytes"));
}

/// <summary>An outgoing call that failed for a reason safe to ledger and to show a tenant (no addresses, no internals).</summary>
public sealed class OutgoingCallException(string reason, Exception? inner = null) : HttpRequestException(reason, inner)
{
    public string Reason => Message;

    /// <summary>The call ran out of time (its deadline passed before the answer was complete).</summary>
    public bool TimedOut => InnerException is TimeoutException;
}

/// <summary>
/// Why an outgoing call failed, in words safe to ledger and return: the kind of failure, never an exception's text
/// (which can name the addresses a refused name resolved to, an oracle for the operator's internal DNS). The details
/// belong in the log.
/// </summary>
public static class OutgoingFailure
{
    public static string Reason(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        for (var ex = exception; ex is not null; ex = ex.InnerException)
        {
            switch (ex)
            {
                case OutgoingCallException call:
                    return call.Reason;
                case AddressRefusedException:
                    return WebhookAddressRule.NonPublicReason;
            }
        }

        return exception switch
        {
            TimeoutRejectedException or TimeoutException or OperationCanceledException => "no answer in time",
            BrokenCircuitException => "the circuit is open after repeated failures",
            HttpRequestException { StatusCode: { } status } => string.Create(CultureInfo.InvariantCulture, $"the receiver answered {(int)status}"),
            HttpRequestException { HttpRequestError: HttpRequestError.NameResolutionError } => "the host name does not resolve",
            HttpRequestException { HttpRequestError: HttpRequestError.SecureConnectionError } => "the TLS handshake failed",
            HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError } => "the connection failed",
            HttpRequestException { HttpRequestError: HttpRequestError.ResponseEnded or HttpRequestError.InvalidResponse } => "the answer was not valid HTTP",
            _ => "the request failed",
        };
    }
}

/// <summary>
/// A connection refused because the host is, or resolves to, a non-public address. Its message is the generic reason;
/// the addresses are logged where the refusal happens, never carried in the exception.
/// </summary>
public sealed class AddressRefusedException() : HttpRequestException(
    HttpRequestError.ConnectionError, $"Refused: {WebhookAddressRule.NonPublicReason} (loopback, link-local, private or reserved); allowed only with AllowPrivateNetworks=true.");
