using System.Collections.Immutable;
using System.Text.Json.Nodes;
using Autonomy.Accounts;
using Autonomy.Actions;
using Autonomy.Common;
using Autonomy.Decisions;
using Autonomy.Ledger;
using Autonomy.Policy;
using Autonomy.Sellers;
using Autonomy.Tenants;
using Autonomy.Triggers;

namespace Autonomy.Tests.Support;

/// <summary>One embedded cluster shared by a collection; each test takes a fresh tenant, so tests never see each other's data.</summary>
public sealed class ClusterFixture : IAsyncLifetime
{
    private readonly TempDirectory _directory = new();

    public AutonomyCluster Cluster { get; private set; } = null!;

    public async Task InitializeAsync() => Cluster = await AutonomyCluster.StartAsync(_directory.Path);

    public async Task DisposeAsync()
    {
        await Cluster.DisposeAsync();
        _directory.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class ClusterCollection : ICollectionFixture<ClusterFixture>
{
    public const string Name = "cluster";
}

/// <summary>The same suites in cluster mode: two silos on a throw-away PostgreSQL database.</summary>
public sealed class PostgresClusterFixture : IAsyncLifetime
{
    private readonly TempDirectory _directory = new();
    private PostgresDatabase? _database;

    public AutonomyCluster Cluster { get; private set; } = null!;

    /// <summary>The cluster's database, for a test that reads it as someone with database access would.</summary>
    public string ConnectionString => _database?.ConnectionString ?? throw new InvalidOperationException("Not started.");

    public async Task InitializeAsync()
    {
        _database = await PostgresDatabase.CreateAsync();
        Cluster = await AutonomyCluster.StartAsync(_directory.Path, silos: 2, postgres: _database.ConnectionString);
    }

    public async Task DisposeAsync()
    {
        await Cluster.DisposeAsync();
        if (_database is not null)
        {
            await _database.DisposeAsync();
        }

        _directory.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class PostgresClusterCollection : ICollectionFixture<PostgresClusterFixture>
{
    public const string Name = "postgres-cluster";
}

/// <summary>A tenant with one account owned by one seller, and the moves tests make on it.</summary>
public sealed class Scenario(AutonomyCluster cluster, string? tenantId = null, string accountId = "acc-1")
{
    public static readonly Actor Admin = new("admin-1", [Actor.Admin]);
    public static readonly Actor Ingest = new("upstream", [Actor.Ingest]);

    /// <summary>A trigger type with no debounce and no cooldown, so every signal starts its own run.</summary>
    public const string Instant = "TEST_INSTANT";

    public string TenantId { get; } = tenantId ?? "t-" + Guid.NewGuid().ToString("N")[..12];

    public string AccountId { get; } = accountId;

    public string SellerId { get; } = "seller-1";

    public Actor SellerActor => new(SellerId, [Actor.Seller]);

    public ITenantGrain Tenant => cluster.Grains.GetGrain<ITenantGrain>(TenantId);

    public IAccountGrain Account => cluster.Grains.GetGrain<IAccountGrain>(Ids.AccountKey(TenantId, AccountId));

    public ISellerGrain Seller => cluster.Grains.GetGrain<ISellerGrain>($"{TenantId}/{SellerId}");

    public IWorkspaceGrain Workspace => cluster.Grains.GetGrain<IWorkspaceGrain>($"{TenantId}/{AccountId}");

    /// <summary>Playbook: an instant signal proposes CREATE_TASK (0.9) and SEND_EMAIL (0.7).</summary>
    public async Task SetUpAsync(params (string ActionType, AutonomyModeV1 Mode)[] modes)
    {
        foreach (var (type, mode) in modes)
        {
            await Tenant.SetModeAsync(type, mode, Admin);
        }

        await Tenant.SetPlaybookAsync(
            new Playbook([new PlaybookRule(Instant, null, [Proposal("CREATE_TASK", """{"title":"Prepare renewal"}""", 0.9), Proposal("SEND_EMAIL", """{"template":"renewal-checkin"}""", 0.7)])]),
            [TriggerRegistry.Signal(Instant, 0, 0, 0)],
            Admin);
        await Account.UpsertAsync(new AccountUpdate(SellerId, "CUSTOMER", null, null), Admin);
    }

    public static PlaybookProposal Proposal(string type, string parameters, double confidence) =>
        new(type, ArgsDigest.Canonical(JsonNode.Parse(parameters)), confidence, null);

    /// <summary>Sends one instant signal and runs what is due (the timer would do the same a moment later).</summary>
    public async Task<IngestResult> SignalAsync(string? id = null)
    {
        var result = await Account.IngestSignalsAsync([new SignalInput(id ?? Guid.NewGuid().ToString("N"), Instant, null, 0.8, null)], Ingest);
        await Account.PollAsync();
        return result;
    }

    public async Task<ImmutableArray<LedgerEntry>> LedgerAsync(string? runId = null, string? type = null)
    {
        var page = await cluster.Ledger.QueryAsync(new LedgerQuery(TenantId, RunId: runId, Type: type, Limit: 1000));
        return [.. page.Items];
    }

    public async Task<ImmutableArray<ProposalView>> NeedsInputAsync() => (await Seller.GetNeedsInputAsync(100, null)).Items;

    public async Task<ImmutableArray<ActionView>> TimelineAsync() => (await Seller.GetTimelineAsync(100, null)).Items;
}
