using System.Text;
using Autonomy.Connectors;
using Autonomy.Decisions;
using Autonomy.Hosting;
using Autonomy.Perception;
using Autonomy.Tenants;
using Autonomy.Tests.Support;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Orleans.Storage;

namespace Autonomy.Tests.Storage;

/// <summary>
/// Tenant secrets at rest: the stored grain state (the storage rows, read as someone with the database would) holds
/// ciphertext only, a restart decrypts with the key ring kept beside (never in) the database, plain secrets stored
/// before encryption keep loading and are encrypted at the next write, and the data files are the owner's alone.
/// </summary>
public sealed class SecretsAtRestTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    /// <summary>A nested, not yet existing data directory, so this process creates it.</summary>
    private string DataDirectory => Path.Combine(_directory.Path, "data");

    public void Dispose() => _directory.Dispose();

    /// <summary>Distinctive secrets of one tenant, each set through its own grain method.</summary>
    private sealed record Secrets(string Connector, string ApiKey, string Signing)
    {
        public static Secrets New()
        {
            var id = Guid.NewGuid().ToString("N");
            return new($"Bearer crm-secret-{id}", $"sk-llm-secret-{id}", "whsec_" + Convert.ToBase64String(Encoding.UTF8.GetBytes($"signing-secret-{id}")));
        }

        public IEnumerable<string> All => [Connector, ApiKey, Signing, Encoding.UTF8.GetString(Convert.FromBase64String(Signing["whsec_".Length..]))];
    }

    private static async Task SetAsync(AutonomyCluster cluster, string tenantId, Secrets secrets)
    {
        var grains = cluster.Grains;
        await grains.GetGrain<ITenantConnectorsGrain>(tenantId).PutConnectorAsync(
            new ConnectorConfig("crm", ConnectorKind.HttpJson, true, "https://crm.example/accounts/{accountId}", "Authorization", secrets.Connector,
                TimeSpan.FromSeconds(5), ConnectorMapping.Default, PullCadence.Default, Throttle.Default, 0, 0),
            keepSecret: false, Scenario.Admin);
        await grains.GetGrain<ITenantGrain>(tenantId).SetEngineAsync(
            new EngineSettings(EngineKind.Chat, EngineFallback.Defer, new ChatSettings("https://llm.example/v1", "m", secrets.ApiKey, 256, 0, 0)), Scenario.Admin);
        await grains.GetGrain<ITenantWebhookSigningGrain>(tenantId).RotateWebhookSigningSecretAsync(secrets.Signing, Scenario.Admin);
    }

    private static async Task AssertReadableAsync(AutonomyCluster cluster, string tenantId, Secrets secrets)
    {
        var grains = cluster.Grains;
        Assert.Equal(secrets.Connector, Assert.Single((await grains.GetGrain<ITenantConnectorsGrain>(tenantId).GetPullConfigAsync()).Connectors).Secret);
        Assert.Equal(secrets.ApiKey, (await grains.GetGrain<ITenantGrain>(tenantId).GetSnapshotAsync("acc-1")).EngineSettings.Chat!.ApiKey);
        Assert.Equal(secrets.Signing, (await grains.GetGrain<ITenantWebhookSigningGrain>(tenantId).GetWebhookSigningSecretsAsync())[0]);
    }

    /// <summary>Every grain state payload of the embedded store, read from SQLite directly.</summary>
    private async Task<List<byte[]>> SqlitePayloadsAsync()
    {
        await using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = Path.Combine(DataDirectory, "grains.db"), Pooling = false }.ToString());
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT PayloadBinary FROM OrleansStorage WHERE PayloadBinary IS NOT NULL";
        var payloads = new List<byte[]>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            payloads.Add((byte[])reader[0]);
        }

        return payloads;
    }

    private static UnixFileMode Mode(string path) => OperatingSystem.IsWindows() ? default : File.GetUnixFileMode(path);

    private static bool Holds(IEnumerable<byte[]> payloads, string text) =>
        payloads.Any(p => p.AsSpan().IndexOf(Encoding.UTF8.GetBytes(text)) >= 0);

    [Fact]
    public async Task TheStoredStateHoldsNoSecretInPlainTextAndARestartStillDecrypts()
    {
        var secrets = Secrets.New();
        await using (var cluster = await AutonomyCluster.StartAsync(DataDirectory))
        {
            await SetAsync(cluster, "t-sealed", secrets);
            await AssertReadableAsync(cluster, "t-sealed", secrets);
        }

        var payloads = await SqlitePayloadsAsync();
        Assert.True(Holds(payloads, "crm.example"), "the tenant's state was not found in the store");
        Assert.True(Holds(payloads, SecretsAtRest.Prefix), "no sealed secret in the store");
        Assert.All(secrets.All, s => Assert.False(Holds(payloads, s), $"{s} is stored in plain text"));

        // The whole database file too (and its write-ahead log), not only the rows this query sees.
        var files = Directory.EnumerateFiles(DataDirectory, "grains.db*").Select(File.ReadAllBytes).ToList();
        Assert.All(secrets.All, s => Assert.False(Holds(files, s), $"{s} is in the database file"));

        await using (var restarted = await AutonomyCluster.StartAsync(DataDirectory))
        {
            await AssertReadableAsync(restarted, "t-sealed", secrets);
        }
    }

    [Fact]
    public async Task PlainSecretsStoredBeforeEncryptionKeepLoadingAndAreEncryptedAtTheNextWrite()
    {
        var secrets = Secrets.New();

        // Stored as before this change: Orleans' serializer with nothing sealed.
        await using (var before = await AutonomyCluster.StartAsync(DataDirectory, configure: silo =>
            silo.Services.AddSingleton<IGrainStorageSerializer>(sp => ActivatorUtilities.CreateInstance<OrleansGrainStorageSerializer>(sp))))
        {
            await SetAsync(before, "t-legacy", secrets);
        }

        Assert.True(Holds(await SqlitePayloadsAsync(), secrets.ApiKey), "the legacy state was not stored in plain text, so this test proves nothing");

        await using (var after = await AutonomyCluster.StartAsync(DataDirectory))
        {
            await AssertReadableAsync(after, "t-legacy", secrets);
            await after.Grains.GetGrain<ITenantGrain>("t-legacy").SetModeAsync("CREATE_TASK", Policy.AutonomyModeV1.AutoExecute, Scenario.Admin);
            await AssertReadableAsync(after, "t-legacy", secrets);
        }

        var payloads = await SqlitePayloadsAsync();
        Assert.All(secrets.All, s => Assert.False(Holds(payloads, s), $"{s} is still stored in plain text after a write"));
    }

    [Fact]
    public async Task TheDataFilesAndTheKeyRingAreTheOwnersAlone()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        await using (var cluster = await AutonomyCluster.StartAsync(DataDirectory))
        {
            await SetAsync(cluster, "t-files", Secrets.New());
        }

        const UnixFileMode folder = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
        const UnixFileMode file = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        Assert.Equal(folder, Mode(DataDirectory));
        var keys = Path.Combine(DataDirectory, "keys");
        Assert.Equal(folder, Mode(keys));
        var keyFiles = Directory.GetFiles(keys, "*.xml");
        Assert.NotEmpty(keyFiles);
        Assert.All(keyFiles, k => Assert.Equal(file, Mode(k)));
        var databases = Directory.GetFiles(DataDirectory, "*.db*");
        Assert.Contains(databases, d => d.EndsWith("grains.db", StringComparison.Ordinal));
        Assert.Contains(databases, d => d.EndsWith("ledger.db", StringComparison.Ordinal));
        Assert.All(databases, d => Assert.True(Mode(d) == file, $"{d} is {Mode(d)}"));
    }

    [Fact]
    public void AnotherKeyRingCannotReadASecretAndSaysWhereItLookedWithoutTheValue()
    {
        var one = SecretsAtRest.Create(Path.Combine(_directory.Path, "ring-1"));
        var other = SecretsAtRest.Create(Path.Combine(_directory.Path, "ring-2"));
        var stored = one.Protect("sk-the-secret", "engine|https://llm.example/v1");

        Assert.StartsWith(SecretsAtRest.Prefix, stored, StringComparison.Ordinal);
        Assert.Equal(stored, one.Protect(stored, "engine|https://llm.example/v1"));
        Assert.Equal("sk-the-secret", one.Reveal(stored, "engine|https://llm.example/v1"));
        Assert.Equal("plain-before-encryption", other.Reveal("plain-before-encryption", "engine|https://llm.example/v1"));
        var error = Assert.Throws<InvalidOperationException>(() => other.Reveal(stored, "engine|https://llm.example/v1"));
        Assert.Contains("ring-2", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("sk-the-secret", error.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(stored[SecretsAtRest.Prefix.Length..], error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void ASecretIsRevealedOnlyForTheDestinationItWasStoredFor()
    {
        var ring = SecretsAtRest.Create(Path.Combine(_directory.Path, "ring"));
        var stored = ring.Protect("sk-the-secret", "engine|https://llm.example/v1");

        Assert.Null(ring.Reveal(stored, "engine|https://attacker.example/v1"));

        // A digest forged to match the new destination does not help: the ciphertext is bound to the old one.
        var forged = stored.Replace(stored[SecretsAtRest.Prefix.Length..stored.IndexOf(':', SecretsAtRest.Prefix.Length)], ring.Protect("x", "engine|https://attacker.example/v1")[SecretsAtRest.Prefix.Length..][..16], StringComparison.Ordinal);
        Assert.Throws<InvalidOperationException>(() => ring.Reveal(forged, "engine|https://attacker.example/v1"));
    }

    [Fact]
    public async Task AConnectorMovedToAnotherHostInTheDatabaseLeavesItsSecretBehind()
    {
        var secrets = Secrets.New();
        await using var cluster = await AutonomyCluster.StartAsync(DataDirectory);
        await SetAsync(cluster, "t-moved", secrets);
        await cluster.Cluster.DeactivateAsync((IAddressable)cluster.Grains.GetGrain<ITenantGrain>("t-moved"));

        // What someone who can write the database (and read Orleans' format) can do: rewrite the endpoint, keep the ciphertext.
        var raw = ActivatorUtilities.CreateInstance<OrleansGrainStorageSerializer>(cluster.Cluster.GetSiloServiceProvider());
        await using (var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = Path.Combine(DataDirectory, "grains.db"), Pooling = false }.ToString()))
        {
            await connection.OpenAsync();
            await using var select = connection.CreateCommand();
            select.CommandText = "SELECT rowid, PayloadBinary FROM OrleansStorage WHERE PayloadBinary IS NOT NULL";
            var rows = new List<(long Id, byte[] Payload)>();
            await using (var reader = await select.ExecuteReaderAsync())
            {
                while (await reader.ReadAsync())
                {
                    rows.Add((reader.GetInt64(0), (byte[])reader[1]));
                }
            }

            var (id, payload) = rows.Single(r => r.Payload.AsSpan().IndexOf("crm.example"u8) >= 0);
            var state = raw.Deserialize<TenantState>(new BinaryData(payload))!;
            var crm = state.Connectors["crm"];
            Assert.StartsWith(SecretsAtRest.Prefix, crm.Secret, StringComparison.Ordinal);
            var moved = state with { Connectors = state.Connectors.SetItem("crm", crm with { Endpoint = "https://attacker.example/collect/{accountId}" }) };
            await using var update = connection.CreateCommand();
            update.CommandText = "UPDATE OrleansStorage SET PayloadBinary = $p WHERE rowid = $id";
            update.Parameters.AddWithValue("$p", raw.Serialize(moved).ToArray());
            update.Parameters.AddWithValue("$id", id);
            Assert.Equal(1, await update.ExecuteNonQueryAsync());
        }

        var connector = Assert.Single((await cluster.Grains.GetGrain<ITenantConnectorsGrain>("t-moved").GetPullConfigAsync()).Connectors);
        Assert.Equal(("https://attacker.example/collect/{accountId}", null), (connector.Endpoint, connector.Secret));
        Assert.False((await cluster.Grains.GetGrain<ITenantConnectorsGrain>("t-moved").GetConnectorAsync("crm")).SecretSet);
        Assert.Equal(secrets.ApiKey, (await cluster.Grains.GetGrain<ITenantGrain>("t-moved").GetSnapshotAsync("acc-1")).EngineSettings.Chat!.ApiKey);
    }

    [Fact]
    public void ClusterModeWithoutAKeyDirectoryRefusesToStartNamingTheSetting()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Autonomy:Mode"] = "Cluster" }).Build();

        var error = Assert.Throws<InvalidOperationException>(() => SecretsAtRest.Resolve(configuration));

        Assert.Contains("Autonomy:DataProtection:KeyDirectory", error.Message, StringComparison.Ordinal);
    }
}

/// <summary>The same on PostgreSQL: the storage rows of cluster mode hold ciphertext only, and another silo decrypts.</summary>
[Collection(PostgresClusterCollection.Name)]
public sealed class PostgresSecretsAtRestTests(PostgresClusterFixture fixture)
{
    [Fact]
    public async Task TheStoredRowsHoldNoSecretInPlainTextAndEverySiloDecrypts()
    {
        var tenant = "t-pg-sealed-" + Guid.NewGuid().ToString("N")[..8];
        var id = Guid.NewGuid().ToString("N");
        var key = $"sk-pg-secret-{id}";
        var grains = fixture.Cluster.Grains;
        await grains.GetGrain<ITenantGrain>(tenant).SetEngineAsync(
            new EngineSettings(EngineKind.Chat, EngineFallback.Defer, new ChatSettings("https://llm.example/v1", "m", key, 256, 0, 0)), Scenario.Admin);

        await using var connection = new NpgsqlConnection(fixture.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT payloadbinary FROM orleansstorage WHERE payloadbinary IS NOT NULL", connection);
        var payloads = new List<byte[]>();
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                payloads.Add((byte[])reader[0]);
            }
        }

        Assert.Contains(payloads, p => p.AsSpan().IndexOf(Encoding.UTF8.GetBytes("llm.example")) >= 0);
        Assert.DoesNotContain(payloads, p => p.AsSpan().IndexOf(Encoding.UTF8.GetBytes(key)) >= 0);

        // Whichever silo holds the tenant, it reads the key back; a fresh activation reads it from the row.
        await fixture.Cluster.Cluster.DeactivateAsync((IAddressable)grains.GetGrain<ITenantGrain>(tenant));
        Assert.Equal(key, (await grains.GetGrain<ITenantGrain>(tenant).GetSnapshotAsync("acc-1")).EngineSettings.Chat!.ApiKey);
    }
}
