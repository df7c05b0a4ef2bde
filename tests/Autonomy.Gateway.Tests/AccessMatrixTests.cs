using System.Net;
using System.Text;
using Autonomy.Gateway.Tests.Support;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.Extensions.DependencyInjection;

namespace Autonomy.Gateway.Tests;

/// <summary>
/// Every endpoint the gateway maps, read from its <see cref="EndpointDataSource"/> and called over HTTP: without a
/// token only the allow-listed operational endpoints answer; with a token, only the roles the contract names
/// (docs/policy-and-modes.md, "Auth and roles") get past authorization, and a token of another tenant never does.
/// A route added without an entry in <see cref="Roles"/> fails here until its roles are declared.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class AccessMatrixTests(GatewayFactory factory)
{
    /// <summary>The endpoints meant to be anonymous, by route pattern.</summary>
    private static readonly HashSet<string> Anonymous = new(StringComparer.Ordinal)
    {
        "/health/live",
        "/health/ready",
        "/openapi/{documentName}.json",
        "/metrics",
    };

    private const string SellerSelf = "seller-self";

    /// <summary>The Orleans Dashboard's own endpoints (unnamed, under /dashboard), mapped only when it is enabled.</summary>
    private const string OrleansDashboard = "OrleansDashboard";

    /// <summary>Who may call each named endpoint. <see cref="SellerSelf"/>: a seller, for its own sellerId only.</summary>
    private static readonly Dictionary<string, string[]> Roles = new(StringComparer.Ordinal)
    {
        ["GetAutonomy"] = ["admin", "seller"],
        ["GetAutonomyHistory"] = ["admin"],
        ["SetMode"] = ["admin"],
        ["SetAutonomyBudget"] = ["admin"],
        ["SetCostBudget"] = ["admin"],
        ["SetKillSwitch"] = ["admin"],
        ["SetPlaybook"] = ["admin"],
        ["GetTriggers"] = ["admin"],
        ["SetTrigger"] = ["admin"],
        ["EvaluatePolicy"] = ["admin"],
        ["SetPolicyParameters"] = ["admin"],
        ["ReplayPolicy"] = ["admin"],
        ["GetActionCatalog"] = ["admin"],
        ["PutActionType"] = ["admin"],
        ["SetExecutor"] = ["admin"],
        ["GetEngine"] = ["admin"],
        ["SetEngine"] = ["admin"],
        ["GetConnector"] = ["admin"],
        ["PutConnector"] = ["admin"],
        ["SetLedgerAnchor"] = ["admin"],
        ["GetLedgerAnchor"] = ["admin", "auditor"],
        ["GetRankingModels"] = ["admin"],
        ["CalibrateRanking"] = ["admin"],
        ["PromoteRankingModel"] = ["admin"],
        ["RollbackRankingModel"] = ["admin"],
        ["GetRankingReport"] = ["admin"],
        ["GetRankingReportHtml"] = ["admin"],
        ["SetRankingExploration"] = ["admin"],
        ["IngestSignals"] = ["admin", "ingest"],
        ["UpsertAccount"] = ["admin", "ingest"],
        ["GetAccount"] = ["admin", "seller"],
        ["SetAutonomousSchedules"] = ["admin"],
        ["GetNeedsInput"] = ["admin", SellerSelf],
        ["GetSellerEvents"] = ["admin", SellerSelf],
        ["GetTenantEvents"] = ["admin", "auditor"],
        ["GetWebhookSigning"] = ["admin"],
        ["RotateWebhookSigningSecret"] = ["admin"],
        ["SetWebhookSigningSecret"] = ["admin"],
        ["RemovePreviousWebhookSigningSecret"] = ["admin"],
        ["GetTimeline"] = ["admin", SellerSelf],
        ["GetDigest"] = ["admin", SellerSelf],
        ["GetDigestSettings"] = ["admin", SellerSelf],
        ["SetDigestSettings"] = ["admin", SellerSelf],
        ["ApproveProposal"] = ["admin", "seller"],
        ["EditProposal"] = ["admin", "seller"],
        ["RejectProposal"] = ["admin", "seller"],
        ["RevertAction"] = ["admin", "seller"],
        ["RecordOutcome"] = ["admin", "ingest"],
        ["QueryLedger"] = ["admin", "auditor"],
        ["ExplainRun"] = ["admin", "auditor"],
        ["ExportLedger"] = ["admin", "auditor"],
        ["VerifyLedger"] = ["admin", "auditor"],
        ["GetPlatformKillSwitch"] = ["operator"],
        ["SetPlatformKillSwitch"] = ["operator"],
        ["StartDashboardSession"] = ["operator"],
        [OrleansDashboard] = ["operator"],
    };

    private static readonly string[] EveryRole = ["admin", "seller", "auditor", "ingest", "operator"];

    [Fact]
    public async Task TheFallbackPolicyRequiresAnAuthenticatedCaller()
    {
        var policy = await factory.Services.GetRequiredService<IAuthorizationPolicyProvider>().GetFallbackPolicyAsync();

        Assert.NotNull(policy);
        Assert.Contains(policy.Requirements, r => r is DenyAnonymousAuthorizationRequirement);
    }

    [Fact]
    public async Task OnlyTheAllowListedEndpointsAnswerWithoutAToken()
    {
        var endpoints = Endpoints();
        var anonymous = factory.Client(null);
        var tenant = Tokens.FreshTenant();
        Assert.True(endpoints.Count >= 40, $"only {endpoints.Count} endpoints found");
        Assert.Equal(Anonymous.Order(StringComparer.Ordinal), endpoints.Select(e => e.Pattern).Where(Anonymous.Contains).Distinct().Order(StringComparer.Ordinal));

        foreach (var e in endpoints)
        {
            using var response = await anonymous.SendAsync(Request(e, tenant, sellerId: "seller-1"), HttpCompletionOption.ResponseHeadersRead);

            if (Anonymous.Contains(e.Pattern))
            {
                Assert.True(e.Endpoint.Metadata.GetMetadata<IAllowAnonymous>() is not null, $"{e.Pattern} should say AllowAnonymous");
                Assert.True(response.StatusCode == HttpStatusCode.OK, $"{e.Method} {e.Pattern} answered {(int)response.StatusCode} without a token");
            }
            else
            {
                Assert.True(e.Endpoint.Metadata.GetMetadata<IAllowAnonymous>() is null, $"{e.Pattern} allows anonymous callers but is not in the allow list");
                Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"{e.Method} {e.Pattern} answered {(int)response.StatusCode} without a token, not 401");
            }
        }
    }

    [Fact]
    public void EveryEndpointWithATokenHasItsRolesDeclared()
    {
        var undeclared = Endpoints()
            .Where(e => !Anonymous.Contains(e.Pattern) && Declared(e) is null)
            .Select(e => $"{e.Method} {e.Pattern} ({e.Name ?? "no name"})")
            .ToList();

        Assert.True(undeclared.Count == 0, $"Declare who may call these in {nameof(Roles)}: {string.Join(", ", undeclared)}");
    }

    [Fact]
    public async Task ARoleThatMayNotUseARouteIs403AndOneThatMayGetsPastAuthorization()
    {
        var tenant = Tokens.FreshTenant();
        var failures = new List<string>();
        foreach (var e in Endpoints().Where(e => !Anonymous.Contains(e.Pattern)))
        {
            var allowed = Declared(e)!;
            foreach (var role in EveryRole)
            {
                var token = Tokens.For(role == "operator" ? null : tenant, "seller-1", role);
                var mayCall = allowed.Contains(role) || (role == "seller" && allowed.Contains(SellerSelf));

                // The seller's own queue is routed with its sub; another seller's id is refused even to a seller.
                using var response = await factory.Client(token).SendAsync(Request(e, tenant, sellerId: "seller-1"), HttpCompletionOption.ResponseHeadersRead);
                Check(failures, e, role, response.StatusCode, mayCall);

                if (role == "seller" && allowed.Contains(SellerSelf) && e.Pattern.Contains("{sellerId}", StringComparison.Ordinal))
                {
                    using var other = await factory.Client(token).SendAsync(Request(e, tenant, sellerId: "seller-2"), HttpCompletionOption.ResponseHeadersRead);
                    Check(failures, e, "seller of another queue", other.StatusCode, mayCall: false);
                }
            }
        }

        Assert.True(failures.Count == 0, string.Join(Environment.NewLine, failures));
    }

    [Fact]
    public async Task ATokenOfAnotherTenantIs403OnEveryTenantRoute()
    {
        var tenant = Tokens.FreshTenant();
        var intruder = factory.Client(Tokens.For(Tokens.FreshTenant(), "seller-1", "admin", "seller", "auditor", "ingest"));
        var failures = new List<string>();

        foreach (var e in Endpoints().Where(e => e.Pattern.StartsWith("/v1/tenants/{tenantId}", StringComparison.Ordinal)))
        {
            using var response = await intruder.SendAsync(Request(e, tenant, sellerId: "seller-1"), HttpCompletionOption.ResponseHeadersRead);
            if (response.StatusCode != HttpStatusCode.Forbidden)
            {
                failures.Add($"{e.Method} {e.Pattern}: {(int)response.StatusCode} for another tenant's token, not 403");
            }
        }

        Assert.True(failures.Count == 0, string.Join(Environment.NewLine, failures));
    }

    /// <summary>
    /// With the Orleans Dashboard enabled (a gateway of its own), its endpoints are declared, closed to anonymous
    /// callers and to every role but the operator, and open to the operator; with it off (the shared gateway), none is mapped.
    /// </summary>
    [Fact]
    public async Task TheOrleansDashboardIsTheOperatorsAlone()
    {
        Assert.DoesNotContain(Endpoints(), e => e.Pattern.StartsWith("/dashboard", StringComparison.Ordinal));
        await using var gateway = new CustomGatewayFactory(new Dictionary<string, string?> { ["Autonomy:Dashboard:Enabled"] = "true" });
        var endpoints = Endpoints(gateway).Where(e => e.Pattern.StartsWith("/dashboard", StringComparison.Ordinal)).ToList();
        var tenant = Tokens.FreshTenant();
        var failures = new List<string>();

        Assert.True(endpoints.Count >= 10, $"only {endpoints.Count} dashboard endpoints found");
        foreach (var e in endpoints)
        {
            var allowed = Declared(e);
            Assert.True(allowed is not null, $"Declare who may call {e.Method} {e.Pattern} in {nameof(Roles)}");
            using (var anonymous = await gateway.Client(null).SendAsync(Request(e, tenant, "seller-1"), HttpCompletionOption.ResponseHeadersRead))
            {
                if (anonymous.StatusCode != HttpStatusCode.Unauthorized)
                {
                    failures.Add($"{e.Method} {e.Pattern}: {(int)anonymous.StatusCode} without a token, not 401");
                }
            }

            foreach (var role in EveryRole)
            {
                var token = Tokens.For(role == "operator" ? null : tenant, "seller-1", role);
                using var response = await gateway.Client(token).SendAsync(Request(e, tenant, "seller-1"), HttpCompletionOption.ResponseHeadersRead);
                Check(failures, e, role, response.StatusCode, allowed!.Contains(role));
            }
        }

        Assert.True(failures.Count == 0, string.Join(Environment.NewLine, failures));
    }

    /// <summary>Who may call an endpoint: by its name, or for the dashboard's unnamed endpoints, the dashboard's entry.</summary>
    private static string[]? Declared(EndpointCase e) =>
        e.Name is { } name
            ? Roles.GetValueOrDefault(name)
            : e.Pattern.StartsWith("/dashboard/", StringComparison.Ordinal) ? Roles[OrleansDashboard] : null;

    private static void Check(List<string> failures, EndpointCase e, string role, HttpStatusCode status, bool mayCall)
    {
        var refused = status is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden;
        if (mayCall && refused)
        {
            failures.Add($"{e.Method} {e.Pattern}: {role} was refused ({(int)status}) but may call it");
        }
        else if (!mayCall && status != HttpStatusCode.Forbidden)
        {
            failures.Add($"{e.Method} {e.Pattern}: {role} got {(int)status}, not 403");
        }
    }

    private List<EndpointCase> Endpoints() => Endpoints(factory);

    private static List<EndpointCase> Endpoints(GatewayFactory gateway) =>
        gateway.Services.GetRequiredService<EndpointDataSource>().Endpoints
            .OfType<RouteEndpoint>()
            .SelectMany(e => (e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["GET"])
                .Select(m => new EndpointCase(e, m, e.RoutePattern.RawText ?? "", e.Metadata.GetMetadata<IEndpointNameMetadata>()?.EndpointName)))
            .ToList();

    /// <summary>The endpoint's route filled with sample values; writes carry a body with an unknown field, refused (400) by any handler that gets it.</summary>
    private static HttpRequestMessage Request(EndpointCase e, string tenant, string sellerId)
    {
        var path = new StringBuilder();
        foreach (var segment in e.Endpoint.RoutePattern.PathSegments)
        {
            path.Append('/');
            foreach (var part in segment.Parts)
            {
                path.Append(part switch
                {
                    RoutePatternLiteralPart literal => literal.Content,
                    RoutePatternParameterPart parameter => Sample(parameter.Name, tenant, sellerId),
                    _ => "",
                });
            }
        }

        // A pattern with a trailing slash (the dashboard's page) is asked for as written: its handler redirects the other spelling.
        if (e.Pattern.EndsWith('/') && path.Length > 0 && path[^1] != '/')
        {
            path.Append('/');
        }

        var request = new HttpRequestMessage(new HttpMethod(e.Method), path.ToString());
        if (e.Method is "POST" or "PUT" or "PATCH")
        {
            request.Content = new StringContent("""{"notAField":true}""", Encoding.UTF8, "application/json");
        }

        return request;
    }

    private static string Sample(string parameter, string tenant, string sellerId) => parameter switch
    {
        "tenantId" => tenant,
        "sellerId" => sellerId,
        "accountId" => "acc-1",
        "runId" => "run-1",
        "actionType" => "CREATE_TASK",
        "type" => "EMAIL_REPLY_RECEIVED",
        "scope" => "all",
        "name" => "crm",
        "proposalId" => "p.YWNjLTE.x",
        "actionId" => "a.YWNjLTE.x",
        "version" => "v1",
        "documentName" => "v1",
        "page" => "1",
        _ => "x",
    };

    private sealed record EndpointCase(RouteEndpoint Endpoint, string Method, string Pattern, string? Name);
}
