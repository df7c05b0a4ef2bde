using System.Text.Json.Nodes;
using Autonomy.Common;
using Autonomy.Gateway.Infrastructure;
using Autonomy.Gateway.Tests.Support;
using Autonomy.Ledger;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace Autonomy.Gateway.Tests;

/// <summary>The one exception handler: each domain error to its status, the unknown to a plain 500.</summary>
[Collection(GatewayCollection.Name)]
public sealed class ExceptionMappingTests(GatewayFactory factory)
{
    [Fact]
    public async Task ValidationFailedIs400NamingTheField()
    {
        var (status, body, _) = await Handle(new ValidationFailedException("outcome", "Upstream may report NO_RESPONSE or NEGATIVE_RESPONSE."));

        Assert.Equal(400, status);
        Assert.NotNull(body["errors"]?["outcome"]);
    }

    [Fact]
    public async Task ForbiddenIs403() => Assert.Equal(403, (await Handle(new ForbiddenException("not yours"))).Status);

    [Fact]
    public async Task NotFoundIs404() => Assert.Equal(404, (await Handle(new NotFoundException("no such proposal"))).Status);

    [Fact]
    public async Task ConflictIs409WithItsCode()
    {
        var (status, body, _) = await Handle(new ConflictException("ARGS_DIGEST_MISMATCH", "changed"));

        Assert.Equal(409, status);
        Assert.Equal("ARGS_DIGEST_MISMATCH", (string?)body["code"]);
        Assert.Equal("changed", (string?)body["detail"]);
    }

    [Fact]
    public async Task LedgerUnavailableIs503() => Assert.Equal(503, (await Handle(new LedgerUnavailableException("disk full"))).Status);

    [Fact]
    public async Task ALedgerOutageCrossesTheGrainBoundaryAsItselfAndIs503()
    {
        // Mapped by type, never by the name a fallback exception carries: the grain's exception must arrive as itself,
        // also with an inner exception of a type Orleans has no codec for.
        var serializer = factory.Services.GetRequiredService<Orleans.Serialization.Serializer>();
        var sent = new LedgerUnavailableException("down", new Npgsql.NpgsqlException("connection refused"));

        var received = serializer.Deserialize<Exception>(serializer.SerializeToArray<Exception>(sent));

        Assert.IsType<LedgerUnavailableException>(received);
        Assert.Equal(503, (await Handle(received)).Status);
    }

    [Fact]
    public async Task ALostSiloIs503ToRetry() => Assert.Equal(503, (await Handle(new Orleans.Runtime.SiloUnavailableException("silo gone"))).Status);

    [Fact]
    public async Task AConnectionToALostSiloIs503ToRetry() => Assert.Equal(503, (await Handle(new Orleans.Runtime.Messaging.ConnectionFailedException("refused"))).Status);

    [Fact]
    public async Task AnythingElseIsAPlain500WithoutInternals()
    {
        var (status, body, _) = await Handle(new InvalidOperationException("connection string Password=hunter2"));

        Assert.Equal(500, status);
        Assert.DoesNotContain("hunter2", body.ToJsonString(), StringComparison.Ordinal);
        Assert.DoesNotContain("InvalidOperationException", body.ToJsonString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task LedgerUnavailableSaysWhenToRetry() => Assert.NotNull((await Handle(new LedgerUnavailableException("behind"))).RetryAfter);

    [Fact]
    public async Task AnUnreachableDatabaseUnderGrainStorageIs503WithRetryAfterNot500()
    {
        // What AdoNetGrainStorage rethrows when PostgreSQL is down, as thrown and after crossing the grain boundary.
        var refused = new Npgsql.NpgsqlException("Failed to connect to 127.0.0.1:5432", new System.Net.Sockets.SocketException(111));

        // Carried as itself (StoreFailures.Carry), not as Orleans' "no codec" error that says nothing about an outage.
        Assert.IsAssignableFrom<Npgsql.NpgsqlException>(RoundTrip(refused));

        foreach (var exception in new[] { refused, RoundTrip(refused) })
        {
            var (status, body, retryAfter) = await Handle(exception);
            Assert.Equal(503, status);
            Assert.Equal("Storage unavailable", (string?)body["title"]);
            Assert.NotNull(retryAfter);
        }
    }

    [Fact]
    public async Task ADatabaseShuttingDownIs503EvenAfterCrossingTheGrainBoundary()
    {
        // 57P01: what every open connection gets when PostgreSQL is stopped; a copy from the silo keeps only the message.
        var shutdown = new Npgsql.PostgresException("terminating connection due to administrator command", "FATAL", "FATAL", "57P01");

        Assert.Equal(503, (await Handle(shutdown)).Status);
        Assert.Equal(503, (await Handle(RoundTrip(shutdown))).Status);
    }

    [Fact]
    public async Task ABusySqliteFileAndStateChangedUnderALostWriteAre503()
    {
        Assert.Equal(503, (await Handle(new Microsoft.Data.Sqlite.SqliteException("database is locked", 5))).Status);
        Assert.Equal(503, (await Handle(new Orleans.Storage.InconsistentStateException("etag mismatch", "1", "2"))).Status);
        Assert.Equal(503, (await Handle(new InvalidOperationException("activation failed", new Npgsql.NpgsqlException("timeout")))).Status);
    }

    [Fact]
    public async Task ADatabaseErrorThatIsABugStays500()
    {
        var syntax = new Npgsql.PostgresException("syntax error at or near \"SELEC\"", "ERROR", "ERROR", "42601");

        Assert.Equal(500, (await Handle(syntax)).Status);
        Assert.Equal(500, (await Handle(new Microsoft.Data.Sqlite.SqliteException("constraint failed", 19))).Status);
    }

    private Exception RoundTrip(Exception exception)
    {
        var serializer = factory.Services.GetRequiredService<Orleans.Serialization.Serializer>();
        return serializer.Deserialize<Exception>(serializer.SerializeToArray(exception)) ?? throw new InvalidOperationException("nothing deserialized");
    }

    private async Task<(int Status, JsonNode Body, string? RetryAfter)> Handle(Exception exception)
    {
        using var scope = factory.Services.CreateScope();
        var context = new DefaultHttpContext { RequestServices = scope.ServiceProvider };
        context.Response.Body = new MemoryStream();
        var handler = new ProblemDetailsExceptionHandler(
            scope.ServiceProvider.GetRequiredService<IProblemDetailsService>(), NullLogger<ProblemDetailsExceptionHandler>.Instance);

        Assert.True(await handler.TryHandleAsync(context, exception, CancellationToken.None));

        context.Response.Body.Position = 0;
        var retryAfter = context.Response.Headers.RetryAfter.ToString();
        return (context.Response.StatusCode, await JsonNode.ParseAsync(context.Response.Body) ?? new JsonObject(), retryAfter.Length == 0 ? null : retryAfter);
    }
}
