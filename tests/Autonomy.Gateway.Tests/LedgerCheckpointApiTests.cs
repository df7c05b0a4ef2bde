using System.Net;
using System.Text.Json.Nodes;
using Autonomy.Gateway.Apis;
using Autonomy.Gateway.Tests.Support;
using Autonomy.Hosting;
using Autonomy.Ledger;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Npgsql;

namespace Autonomy.Gateway.Tests;

/// <summary>Verify and export with checkpoints, and an export verified offline answering as the server does, in both modes.</summary>
public abstract class LedgerCheckpointApiTestsBase(GatewayFactory factory)
{
    protected GatewayFactory Factory => factory;

    /// <summary>Runs SQL on the ledger's store directly, append-only guards dropped, as an attacker with file or database access would.</summary>
    protected abstract Task TamperAsync(string sql);

    /// <summary>The --key argument that verifies this gateway's checkpoints: a public key.</summary>
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

    [Fact]
    public async Task AForgedHmacCheckpointIsRefusedOnceTheKeysArePublic()
    {
        var (tenant, auditor) = await CheckpointedTenantAsync();
        var ledger = factory.Services.GetRequiredService<ILedger>();
        var tip = await ledger.ReadLastCheckpointAsync(tenant);
        var last = tip!.Checkpoint;
        Assert.Equal(LedgerCheckpointAlgorithms.EcdsaP256, last.Algorithm);

        // Someone with database access and the shared secret of earlier builds appends an HMAC checkpoint.
        var oldSecret = new LedgerCheckpointHmacKey("k1", "the-hmac-secret-gateways-used-to-hold-0123456789");
        var forged = LedgerCheckpoints.Create(tenant, last.Seq + 1, DateTimeOffset.UtcNow, [], last.StreamCount, last.MerkleRoot, last.Hash, oldSecret);
        await ledger.AppendCheckpointAsync(forged, tip.Cursor);

        var verify = await (await auditor.GetAsync($"/v1/tenants/{tenant}/ledger/verify")).Expect(HttpStatusCode.OK);
        Assert.Equal((false, "checkpoint key unknown", forged.CheckpointId, 1L),
            ((bool?)verify["ok"], (string?)verify["problem"], (string?)verify["firstBrokenEntryId"], (long?)verify["checkpoints"]));
        var (offline, exit, _) = await VerifyOfflineAsync(auditor, tenant);
        Assert.Equal(1, exit);
        Assert.True(JsonNode.DeepEquals(verify, offline), $"server {verify.ToJsonString()} offline {offline.ToJsonString()}");
    }

    [Fact]
    public async Task AnExportStrippedOfItsCheckpointsIsRefusedOfflineUnlessAnUnsignedCheckIsAskedFor()
    {
        var (tenant, auditor) = await CheckpointedTenantAsync();
        var export = await (await auditor.GetAsync($"/v1/tenants/{tenant}/ledger/export")).Content.ReadAsStringAsync();
        var stripped = string.Join('\n', export.Split('\n').Where(l => !l.Contains("\"kind\"", StringComparison.Ordinal)));
        Assert.NotEqual(export.Length, stripped.Length);

        var (refusedExit, refused, _) = RunVerifyExport(stripped, "--key", KeyArgument);
        Assert.Equal(1, refusedExit);
        Assert.StartsWith("problem: checkpoints missing", refused, StringComparison.Ordinal);

        var (noKeyExit, _, noKeyError) = RunVerifyExport(stripped);
        Assert.Equal(2, noKeyExit);
        Assert.Contains("--allow-unsigned", noKeyError, StringComparison.Ordinal);

        var (unsignedExit, unsigned, _) = RunVerifyExport(stripped, "--allow-unsigned");
        Assert.Equal(0, unsignedExit);
        Assert.StartsWith("ok, UNSIGNED CHECK (--allow-unsigned): hash chains intact; no checkpoint", unsigned, StringComparison.Ordinal);

        // The unsigned check still verifies the chains: an edited entry fails it.
        var edited = stripped.Replace("USAGE_SPIKE", "USAGE_SPIKF", StringComparison.Ordinal);
        Assert.Equal(1, RunVerifyExport(edited, "--allow-unsigned").Exit);
        Assert.Equal(0, RunVerifyExport(export, "--key", KeyArgument).Exit);
    }

    [Fact]
    public async Task AnEntryOlderThanTheAgeLimitThatNoCheckpointCoversFailsVerifyUntilOneDoes()
    {
        var tenant = Tokens.FreshTenant();
        var auditor = factory.Client(Tokens.Auditor(tenant));
        // Entries stamped an hour ago (their writer's clock), and no checkpoint since: the writer was stopped, or they were slipped in.
        var ledger = factory.Services.GetRequiredService<ILedger>();
        var stream = new LedgerStream(ledger, new FakeTimeProvider(DateTimeOffset.UtcNow.AddHours(-1)), tenant, $"test/{tenant}");
        await stream.InitializeAsync();
        var written = await stream.AppendAsync([new LedgerDraft(LedgerTypes.ConfigChanged, null, "test", new { i = 1 }), new LedgerDraft(LedgerTypes.ConfigChanged, null, "test", new { i = 2 })]);

        var overdue = await (await auditor.GetAsync($"/v1/tenants/{tenant}/ledger/verify")).Expect(HttpStatusCode.OK);
        Assert.Equal((false, "checkpoint overdue", written[0].EntryId, $"test/{tenant}", 2L),
            ((bool?)overdue["ok"], (string?)overdue["problem"], (string?)overdue["firstBrokenEntryId"], (string?)overdue["streamId"], (long?)overdue["notYetCheckpointed"]?["count"]));

        Assert.NotNull((await factory.Services.GetRequiredService<IGrainFactory>().GetGrain<ILedgerCheckpointGrain>(tenant).CheckpointNowAsync()).Written);
        var covered = await (await auditor.GetAsync($"/v1/tenants/{tenant}/ledger/verify")).Expect(HttpStatusCode.OK);
        Assert.True((bool?)covered["ok"], covered.ToJsonString());
        Assert.Null(covered["notYetCheckpointed"]);
    }

    /// <summary>A fresh tenant with a few signals, checkpointed, and its auditor.</summary>
    private async Task<(string Tenant, HttpClient Auditor)> CheckpointedTenantAsync()
    {
        var tenant = Tokens.FreshTenant();
        var ingest = factory.Client(Tokens.Ingest(tenant));
        for (var i = 0; i < 2; i++)
        {
            await (await ingest.PostJson($"/v1/tenants/{tenant}/accounts/acc-{i}/signals",
                $$$"""{"signals":[{"id":"s-{{{i}}}","type":"USAGE_SPIKE","occurredAt":"2026-01-31T08:00:0{{{i}}}Z","value":0.5}]}""")).Expect(HttpStatusCode.Accepted);
        }

        Assert.NotNull((await factory.Services.GetRequiredService<IGrainFactory>().GetGrain<ILedgerCheckpointGrain>(tenant).CheckpointNowAsync()).Written);
        return (tenant, factory.Client(Tokens.Auditor(tenant)));
    }

    /// <summary>Runs verify-export on <paramref name="export"/> with <paramref name="arguments"/>: the exit code, the first line printed, and the errors.</summary>
    private static (int Exit, string Output, string Error) RunVerifyExport(string export, params string[] arguments)
    {
        var file = Path.Combine(Path.GetTempPath(), $"export-{Guid.NewGuid():N}.ndjson");
        File.WriteAllText(file, export);
        try
        {
            using var output = new StringWriter();
            using var error = new StringWriter();
            var exit = VerifyExportCommand.Run(["verify-export", file, .. arguments], output, error);
            return (exit, output.ToString(), error.ToString());
        }
        finally
        {
            File.Delete(file);
        }
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
    protected override string KeyArgument => CheckpointKeys.PublicPathIn(Factory.DataDirectory);

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
        Assert.Contains("Autonomy:Ledger:CheckpointPublicKeys", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void ClusterModeSilosWithoutASigningKeyRefuseToStartNamingTheSetting()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Autonomy:Mode"] = "Cluster",
            ["Autonomy:Ledger:CheckpointPublicKeys"] = TestCheckpointKeys.PublicKey,
        }).Build();

        var error = Assert.Throws<InvalidOperationException>(() => CheckpointKeys.Resolve(configuration));

        Assert.Contains("Autonomy:Ledger:CheckpointSigningKey", error.Message, StringComparison.Ordinal);
        // A private key handed to gateways as a "public" one is refused, and the message never echoes it.
        configuration["Autonomy:Ledger:CheckpointPublicKeys"] = TestCheckpointKeys.SigningKey;
        var leaked = Assert.Throws<InvalidOperationException>(() => CheckpointKeys.ResolveVerifying(configuration));
        Assert.Contains("private key", leaked.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(TestCheckpointKeys.SigningKey, leaked.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void TheAgeLimitIsThreeIntervalsUnlessSetAndNeverBelowOne()
    {
        Assert.Equal(TimeSpan.FromMinutes(6), new LedgerCheckpointOptions { CheckpointInterval = TimeSpan.FromMinutes(2) }.UncheckpointedAgeLimit());
        Assert.Equal(TimeSpan.FromHours(1), new LedgerCheckpointOptions { MaxUncheckpointedAge = TimeSpan.FromHours(1) }.UncheckpointedAgeLimit());

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Autonomy:Mode"] = "Cluster",
            ["Autonomy:Ledger:CheckpointPublicKeys"] = TestCheckpointKeys.PublicKey,
            ["Autonomy:Ledger:MaxUncheckpointedAge"] = "00:00:30",
        }).Build();
        var error = Assert.Throws<InvalidOperationException>(() => CheckpointKeys.ResolveVerifying(configuration));
        Assert.Contains("Autonomy:Ledger:MaxUncheckpointedAge", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TheEmbeddedSigningKeyFileIsOwnerOnlyAndAuditorsGetItsPublicKey()
    {
        _ = Factory.Services;
        var signing = File.ReadAllText(CheckpointKeys.SigningPathIn(Factory.DataDirectory));
        var published = File.ReadAllText(CheckpointKeys.PublicPathIn(Factory.DataDirectory));

        Assert.Contains("-----BEGIN PRIVATE KEY-----", signing, StringComparison.Ordinal);
        Assert.DoesNotContain("PRIVATE", published, StringComparison.Ordinal);
        var signer = LedgerCheckpointKeyring.Parse(signing).SigningKey;
        var auditor = LedgerCheckpointKeyring.Parse(published);
        Assert.Equal([signer.Id], auditor.Ids);
        Assert.Null(auditor.Current);
        Assert.False(File.Exists(CheckpointKeys.HmacPathIn(Factory.DataDirectory)));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(CheckpointKeys.SigningPathIn(Factory.DataDirectory)));
        }
    }
}

[Collection(ClusterGatewayCollection.Name)]
public sealed class LedgerCheckpointApiTestsInClusterMode(ClusterGatewayFactory factory) : LedgerCheckpointApiTestsBase(factory)
{
    protected override string KeyArgument => TestCheckpointKeys.PublicKey;

    protected override async Task TamperAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(factory.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("ALTER TABLE ledger_entries DISABLE TRIGGER USER; " + sql + " ALTER TABLE ledger_entries ENABLE TRIGGER USER;", connection);
        await command.ExecuteNonQueryAsync();
    }
}
