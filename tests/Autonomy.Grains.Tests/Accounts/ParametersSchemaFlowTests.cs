using System.Text.Json;
using Autonomy.Actions;
using Autonomy.Common;
using Autonomy.Decisions;
using Autonomy.Ledger;
using Autonomy.Policy;
using Autonomy.Tests.Support;
using Autonomy.Triggers;

namespace Autonomy.Tests.Accounts;

/// <summary>
/// Parameters schemas on the playbook's path and a human's: a rule proposing outside the schema is screened out and
/// ledgered, never queued or executed (with no confidence cap: the playbook is the tenant's own); an edit outside it is
/// refused naming <c>parameters</c>; a schema tightened while a proposal waits stops its approval until it is edited.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class ParametersSchemaFlowTests(ClusterFixture fixture)
{
    private readonly AutonomyCluster _cluster = fixture.Cluster;

    private static async Task<Scenario> TenantAsync(AutonomyCluster cluster, params PlaybookProposal[] proposals)
    {
        var t = new Scenario(cluster);
        await t.SetUpAsync(("CREATE_TASK", AutonomyModeV1.AutoExecute));
        await t.Tenant.SetPlaybookAsync(new Playbook([new PlaybookRule(Scenario.Instant, null, [.. proposals])]), [TriggerRegistry.Signal(Scenario.Instant, 0, 0, 0)], Scenario.Admin);
        return t;
    }

    [Fact]
    public async Task APlaybookRuleOutsideTheSchemaIsScreenedOutLedgeredAndNeverRuns()
    {
        var t = await TenantAsync(
            _cluster,
            Scenario.Proposal("CREATE_TASK", """{"title":"Kick-off","webhook":"https://elsewhere.example"}""", 1.0),
            Scenario.Proposal("CREATE_TASK", """{"title":"Welcome"}""", 1.0));

        await t.SignalAsync();

        var proposed = JsonDocument.Parse(Assert.Single(await t.LedgerAsync(type: LedgerTypes.DecisionProposed)).Payload).RootElement;
        var rejected = Assert.Single(proposed.GetProperty("rejected").EnumerateArray());
        Assert.Equal((0, ProposalScreen.OutOfSchema), (rejected.GetProperty("index").GetInt32(), rejected.GetProperty("reason").GetString()));
        Assert.False(proposed.TryGetProperty("confidenceCap", out _));
        Assert.Equal(1.0, Assert.Single(proposed.GetProperty("proposals").EnumerateArray()).GetProperty("confidence").GetDouble());
        var done = Assert.Single(await t.TimelineAsync());
        Assert.Equal("""{"title":"Welcome"}""", done.Parameters);
        Assert.Empty(await t.NeedsInputAsync());
        Assert.DoesNotContain((await t.Workspace.GetAsync()).Items, i => i.Parameters.Contains("webhook", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AnEditOutsideTheSchemaIsRefusedNamingParametersAndATightenedSchemaStopsAnApproval()
    {
        var t = await TenantAsync(_cluster, Scenario.Proposal("SEND_EMAIL", """{"template":"renewal-checkin"}""", 0.9), Scenario.Proposal("DRAFT_EMAIL", """{"template":"follow-up"}""", 0.9));
        await t.SignalAsync();
        var waiting = await t.NeedsInputAsync();
        var send = waiting.Single(p => p.ActionType == "SEND_EMAIL");

        var edit = await Assert.ThrowsAsync<ValidationFailedException>(() =>
            t.Account.EditAsync(send.ProposalId, send.ArgsDigest, """{"template":"renewal-checkin","to":"someone@elsewhere.example"}""", t.SellerActor));
        Assert.Equal("parameters", edit.Field);
        Assert.Contains("parameters.to is not a parameter", edit.Message, StringComparison.Ordinal);

        // The tenant now requires a subject of DRAFT_EMAIL: the waiting draft has none, so approving it is refused until edited.
        var schema = ParameterSchema.Parse("""{"type":"object","required":["subject"],"properties":{"template":{"type":"string"},"subject":{"type":"string"}}}""", out _)!.Canonical;
        await t.Tenant.PutActionTypeAsync(ActionCatalog.BuiltIns["DRAFT_EMAIL"] with { ParametersSchema = schema }, Scenario.Admin);
        var draft = waiting.Single(p => p.ActionType == "DRAFT_EMAIL");
        var approval = await Assert.ThrowsAsync<ConflictException>(() => t.Account.ApproveAsync(draft.ProposalId, draft.ArgsDigest, t.SellerActor));
        Assert.Equal(ProposalScreen.OutOfSchema, approval.Code);
        Assert.Empty(await t.TimelineAsync());

        var edited = await t.Account.EditAsync(draft.ProposalId, draft.ArgsDigest, """{"template":"follow-up","subject":"Next steps"}""", t.SellerActor);
        Assert.Equal("""{"subject":"Next steps","template":"follow-up"}""", edited.Parameters);
    }
}
