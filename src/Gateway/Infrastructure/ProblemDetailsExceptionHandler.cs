using System.Text.Json;
using Autonomy.Common;
using Autonomy.Ledger;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;
using Orleans.Runtime;
using Orleans.Runtime.Messaging;
using Orleans.Serialization;

namespace Autonomy.Gateway.Infrastructure;

/// <summary>
/// The one place errors leave the gateway: unreadable JSON and domain errors become problem details with the
/// status they deserve (400, 403, 404, 409, 503); anything else is a plain 500 that reveals no internals.
/// </summary>
public sealed class ProblemDetailsExceptionHandler(IProblemDetailsService problems, ILogger<ProblemDetailsExceptionHandler> logger) : IExceptionHandler
{
    /// <summary>Seconds a client waits after a storage or ledger outage: long enough for a connection to be re-established.</summary>
    private const string StorageRetryAfter = "2";

    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        var problem = exception switch
        {
            BadHttpRequestException { InnerException: JsonException json } => FromJson(json),
            BadHttpRequestException bad => FromBadRequest(bad),
            ValidationFailedException invalid => Invalid(invalid.Field, invalid.Problem),
            ForbiddenException forbidden => Plain(StatusCodes.Status403Forbidden, "Forbidden", forbidden.Message),
            NotFoundException missing => Plain(StatusCodes.Status404NotFound, "Not found", missing.Message),
            ConflictException conflict => Conflict(conflict),
            LedgerUnavailableException => LedgerUnavailable(httpContext),
            SiloUnavailableException or OrleansMessageRejectionException or ConnectionFailedException or TimeoutException => ClusterUnavailable(httpContext),
            _ when StoreFailures.IsOutage(exception) => StorageUnavailable(httpContext, exception),
            _ => null,
        };

        if (problem is null)
        {
            logger.LogError(exception, "Unhandled error on {Method} {Path}", httpContext.Request.Method, httpContext.Request.Path);
            problem = Plain(StatusCodes.Status500InternalServerError, "Internal server error", "The server failed to process the request; it has been logged.");
        }

        httpContext.Response.StatusCode = problem.Status ?? StatusCodes.Status500InternalServerError;
        return await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = httpContext, ProblemDetails = problem, Exception = exception });
    }

    private static ProblemDetails FromJson(JsonException json)
    {
        if (json is UnknownFieldException unknown)
        {
            // The reader's path stops at the object that holds the unknown field.
            var holder = json.Path is null or "$" ? null : FieldOf(json.Path);
            var name = holder is null ? unknown.Field : $"{holder}.{unknown.Field}";
            return Invalid(name, $"{name} is not a known field; remove it.");
        }

        var field = FieldOf(json.Path);
        return Invalid(field, json is JsonContractException contract ? $"{field} {contract.Message}" : $"{field} has the wrong type or format.");
    }

    private static ProblemDetails FromBadRequest(BadHttpRequestException bad) =>
        bad.StatusCode == StatusCodes.Status400BadRequest
            ? Invalid("body", bad.Message.Contains("body", StringComparison.OrdinalIgnoreCase)
                ? "A JSON request body is required."
                : bad.Message)
            : Plain(bad.StatusCode, "Bad request", bad.StatusCode == StatusCodes.Status415UnsupportedMediaType
                ? "Send the body as application/json."
                : bad.Message);

    /// <summary>"$.signals[0].tipe" -> "signals[0].tipe"; the whole body -> "body".</summary>
    internal static string FieldOf(string? path) =>
        path is null or "$" ? "body" : path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : path.TrimStart('$');

    private static HttpValidationProblemDetails Invalid(string field, string message) => new(new Dictionary<string, string[]> { [field] = [message] })
    {
        Status = StatusCodes.Status400BadRequest,
        Title = Validation.Title,
        Detail = message,
    };

    private static ProblemDetails Conflict(ConflictException conflict)
    {
        var problem = Plain(StatusCodes.Status409Conflict, "Conflict", conflict.Message);
        problem.Extensions["code"] = conflict.Code;
        return problem;
    }

    /// <summary>A silo died under the call: its grains come back on the survivors once membership declares it dead.</summary>
    private static ProblemDetails ClusterUnavailable(HttpContext httpContext)
    {
        httpContext.Response.Headers.RetryAfter = "1";
        return Plain(StatusCodes.Status503ServiceUnavailable, "Cluster recovering", "A silo that held this request's data is gone; its grains are moving to the survivors. Retry in a moment.");
    }

    private static ProblemDetails LedgerUnavailable(HttpContext httpContext)
    {
        httpContext.Response.Headers.RetryAfter = StorageRetryAfter;
        return Plain(StatusCodes.Status503ServiceUnavailable, "Ledger unavailable", "The audit ledger cannot be written or read right now, or is behind; nothing was acknowledged. Retry after the time in Retry-After.");
    }

    /// <summary>
    /// The database or grain storage under the request failed (unreachable, restarting, busy): an outage of a
    /// dependency, not a bug. What was acknowledged before is kept; this request was not acknowledged.
    /// </summary>
    private ProblemDetails StorageUnavailable(HttpContext httpContext, Exception exception)
    {
        logger.LogWarning("Storage unavailable on {Method} {Path}: {Error}", httpContext.Request.Method, httpContext.Request.Path, exception.Message);
        httpContext.Response.Headers.RetryAfter = StorageRetryAfter;
        return Plain(StatusCodes.Status503ServiceUnavailable, "Storage unavailable", "The database is unreachable or behind right now; this request was not acknowledged. Retry after the time in Retry-After.");
    }

    private static ProblemDetails Plain(int status, string title, string detail) => new() { Status = status, Title = title, Detail = detail };
}
