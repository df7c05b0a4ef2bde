using System.Net;
using System.Text.Json.Nodes;
using Autonomy.Gateway.Apis;
using Autonomy.Gateway.Tests.Support;
using Autonomy.Hosting;
using Autonomy.Ledger;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Autonomy.Gateway.Tests;

/// <summary>Verify and export with checkpoints, and an export verified offline answering as the server does, in both modes.</summary>
public abstract class LedgerCheckpointApiTestsBase(GatewayFactory factory)
{
    protected GatewayFactory Factory => factory;

    /// <summary>Runs SQL on the ledger's store directly, append-only guards dropped, as an attacker with file or database access would.</summary>
    protected abstract Task TamperAsync(string sql);

    /// <summary>The --key argument that verifies this gateway's checkpoints.</summary>
    protected abstract string KeyArgument { get; }

    [Fact]
    public async Task AnExportVerifiedOfflineAnswersAsTheServerDoesBeforeAndAfterATailIsCut()
    {
        var tenant = Tokens.FreshTenant();
        var ingest = factory.Client(Tokens.Ingest(tenant));
        var auditor = factory.Client(Tokens.Auditor(tenant));
        // Payloads carry text a JSON writer may escape differently (quotes, '+', '<', '&', non-ASCII): the export must carry them as stored.
        for (var i = 0; i < 4; i++)
        {
            await (await ingest.PostJson($"/v1/tenants/{tenant}/accounts/acc-{i % 2}/signals",
                $$$"""{"signals":[{"id":"s-{{{i}}}","type":"USAGE_SPIKE","occurredAt":"2026-01-31T08:00:0{{{i}}}Z","value":0.5,"attributes":{"note":"Zoë said \"yes\" <b>+1</b> & 'more'"}}]}""")).Expect(HttpStatusCode.Accepted);
        }

        var grains = factory.Services.GetRequiredService<IGrainFactory>();
        var written = await grains.GetGrain<ILedgerCheckpointGrain>(tenant).CheckpointNowAsync();
        Assert.NotNull(written.Written);

        var verify = await (await auditor.GetAsync($"/v1/tenants/{tenant}/ledger/verify")).Expect(HttpStatusCode.OK);
        Assert.True((bool?)verify["ok"], verify.ToJsonString());
        Assert.True((long?)verify["checkpoints"] >= 1);
        Assert.True((bool?)verify["signaturesChecked"]);
        var (offline, exit, lines) = await VerifyOfflineAsync(auditor, tenant);
        Assert.Equal(0, exit);
        Assert.Contains(lines, l => (string?)JsonNode.Parse(l)!["kind"] == "checkpoint");
        Assert.True(JsonNode.DeepEquals(verify, offline), $"server {verify.ToJsonString()} offline {offline.ToJsonString()}");

        // The newest two entries of one account stream are cut, as the issue's auditor did.
        var stream = $"account/{tenant}/acc-0";
        await TamperAsync($"DELETE FROM ledger_entries WHERE stream_id = '{stream}' AND seq > (SELECT MAX(seq) - 2 FROM ledger_entries WHERE stream_id = '{stream}');");
        var cut = await (await auditor.GetAsync($"/v1/tenants/{tenant}/ledger/verify")).Expect(HttpStatusCode.OK);
        Assert.False((bool?)cut["ok"]);
        Assert.Equal(("stream truncated", stream), ((string?)cut["problem"], (string?)cut["streamId"]));
        Assert.StartsWith("lc_", (string?)cut["firstBrokenEntryId"], StringComparison.Ordinal);
        var (cutOffline, cutExit, _) = await VerifyOfflineAsync(auditor, tenant);
        Assert.Equal(1, cutExit);
        Assert.True(JsonNode.DeepEquals(cut, cutOffline), $"server {cut.ToJsonString()} offline {cutOffline.ToJsonString()}");
    }

    [Fact]
    public async Task AnAdminSetsTheAnchorWebhookAndAnAuditorReadsIt()
    {
        var tenant = Tokens.FreshTenant();
        var admin = factory.Client(Tokens.Admin(tenant));
        await (await admin.PutJson($"/v1/tenants/{tenant}/ledger/anchor", """{"url":"ftp://example.com/x"}""")).ExpectValidationProblem("url");
        await (await admin.PutJson($"/v1/tenants/{tenant}/ledger/anchor", """{"url":"https://audit.example.com/anchor"}""")).Expect(HttpStatusCode.OK);
        await (await factory.Client(Tokens.Ingest(tenant)).PutJson($"/v1/tenants/{tenant}/ledger/anchor", """{"url":null}""")).Expect(HttpStatusCode.Forbidden);

        var read = await (await factory.Client(Tokens.Auditor(tenant)).GetAsync($"/v1/tenants/{tenant}/ledger/anchor")).Expect(HttpStatusCode.OK);
        Assert.Equal("https://audit.example.com/anchor", (string?)read["url"]);
        var ledger = await (await admin.GetAsync($"/v1/tenants/{tenant}/ledger?type=CONFIG_CHANGED")).Expect(HttpStatusCode.OK);
        Assert.Contains(ledger["items"]!.AsArray(), e => (string?)e!["payload"]!["kind"] == "checkpoint-anchor");
    }

    private async Task<(JsonNode Result, int Exit, string[] Lines)> VerifyOfflineAsync(HttpClient auditor, string tenant)
    {
        var text = await (await auditor.GetAsync($"/v1/tenants/{tenant}/ledger/export")).Content.ReadAsStringAsync();
        var file = Path.Combine(Path.GetTempPath(), $"export-{Guid.NewGuid():N}.ndjson");
        await File.WriteAllTextAsync(file, text);
        try
        {
            using var output = new StringWriter();
            using var error = new StringWriter();
            var exit = VerifyExportCommand.Run(["verify-export", file, "--key", KeyArgument], output, error);
            var printed = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.True(printed.Length == 2, $"stdout: {output} stderr: {error}");
            Assert.StartsWith(exit == 0 ? "ok" : "problem", printed[0], StringComparison.Ordinal);
            return (JsonNode.Parse(printed[1])!, exit, text.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        }
        finally
        {
            File.Delete(file);
        }
    }
}

[Collection(GatewayCollection.Name)]
public sealed class LedgerCheckpointApiTests(GatewayFactory factory) : LedgerCheckpointApiTestsBase(factory)
{
    protected override string KeyArgument => CheckpointKeys.PathIn(Factory.DataDirectory);

    protected override async Task TamperAsync(string sql)
    {
        await using var connection = new SqliteConnection($"Data Source={Path.Combine(Factory.DataDirectory, "ledger.db")};Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "DROP TRIGGER IF EXISTS ledger_entries_no_delete; " + sql;
        await command.ExecuteNonQueryAsync();
    }

    [Fact]
    public void ClusterModeWithoutACheckpointKeyRefusesToStartNamingTheSetting()
    {
        using var gateway = new CustomGatewayFactory(new Dictionary<string, string?>
        {
            ["Autonomy:Mode"] = "Cluster",
            ["ConnectionStrings:Autonomy"] = "Host=127.0.0.1;Port=1;Username=nobody;Database=none",
        });

        var error = Record.Exception(() => gateway.CreateClient());

        Assert.NotNull(error);
        Assert.Contains("Autonomy:Ledger:CheckpointKeys", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void TheEmbeddedCheckpointKeyFileIsOwnerOnly()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        _ = Factory.Services;
        var mode = File.GetUnixFileMode(CheckpointKeys.PathIn(Factory.DataDirectory));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, mode);
    }
}

[Collection(ClusterGatewayCollection.Name)]
public sealed class LedgerCheckpointApiTestsInClusterMode(ClusterGatewayFactory factory) : LedgerCheckpointApiTestsBase(factory)
{
    protected override string KeyArgument => $"test={GatewayFactory.CheckpointKey}";

    protected override async Task TamperAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(factory.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("ALTER TABLE ledger_entries DISABLE TRIGGER USER; " + sql + " ALTER TABLE ledger_entries ENABLE TRIGGER USER;", connection);
        await command.ExecuteNonQueryAsync();
    }
}
