using System.Security.Claims;
using Autonomy.Gateway.Auth;
using Autonomy.Gateway.Infrastructure;
using Autonomy.Learning;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Autonomy.Gateway.Apis;

/// <summary>
/// Learning (admin): the ranking model versions with their shadow evaluations, calibration now, promotion through
/// the gate (409 naming the failed checks), rollback, the evaluation report as JSON and HTML, and exploration.
/// </summary>
public static class RankingApi
{
    public static RouteGroupBuilder MapRankingApi(this IEndpointRouteBuilder app)
    {
        var admin = app.MapTenantGroup("Learning").RequireAuthorization(Access.Admin);
        admin.MapGet("/ranking/models", GetModels).WithName("GetRankingModels").WithSummary("Every kept version, newest first: status, whether active, its shadow evaluation, links to its report.");
        admin.MapPost("/ranking/calibrate", Calibrate).RequireLongReadPermit().WithName("CalibrateRanking").WithSummary("Trains a candidate now from the ledger and shadow-evaluates it: its version and evaluation report.");
        admin.MapPost("/ranking/models/{version}/promote", Promote).WithName("PromoteRankingModel").WithSummary("Makes a candidate active; 409 unless its shadow evaluation passed the gate.");
        admin.MapPost("/ranking/models/{version}/rollback", Rollback).WithName("RollbackRankingModel").WithSummary("Makes the version active before this one active again, exactly.");
        admin.MapGet("/ranking/models/{version}/report", GetReport).WithName("GetRankingReport").WithSummary("A version's evaluation report as JSON, the candidate next to the ranker active when it was trained.");
        admin.MapGet("/ranking/models/{version}/report.html", GetReportHtml).WithName("GetRankingReportHtml").WithSummary("The evaluation report as a page: reliability diagram, metric table, candidate next to active.");
        admin.MapPut("/ranking/exploration", SetExploration).WithName("SetRankingExploration").WithSummary("The exploration rate (0 off, the default; at most 0.5); every shown place logs its probability.");
        return admin;
    }

    public static async Task<Ok<RankingModelsResponse>> GetModels(string tenantId, IGrainFactory grains)
    {
        var models = await Ranking(grains, tenantId).GetModelsAsync();
        return TypedResults.Ok(new RankingModelsResponse(
            [.. models.Versions.Select(v => RankingVersionResponse.From(tenantId, v))], null, models.Active, models.ExplorationRate, models.LastNight,
            [.. models.History.Select(h => new RankingChangeResponse(h.Change, h.From ?? RankingModel.Prior, h.To ?? RankingModel.Prior, h.Actor, h.At))]));
    }

    public static async Task<Ok<RankingVersionResponse>> Calibrate(string tenantId, ClaimsPrincipal user, IGrainFactory grains) =>
        TypedResults.Ok(RankingVersionResponse.From(tenantId, await Ranking(grains, tenantId).CalibrateAsync(user.ToActor())));

    public static async Task<Results<Ok<RankingVersionResponse>, ValidationProblem>> Promote(string tenantId, string version, ClaimsPrincipal user, IGrainFactory grains)
    {
        if (Invalid(version) is { } problem)
        {
            return problem;
        }

        return TypedResults.Ok(RankingVersionResponse.From(tenantId, await Ranking(grains, tenantId).PromoteAsync(version, user.ToActor())));
    }

    public static async Task<Results<Ok<RankingVersionResponse>, ValidationProblem>> Rollback(string tenantId, string version, ClaimsPrincipal user, IGrainFactory grains)
    {
        if (Invalid(version) is { } problem)
        {
            return problem;
        }

        return TypedResults.Ok(RankingVersionResponse.From(tenantId, await Ranking(grains, tenantId).RollbackAsync(version, user.ToActor())));
    }

    public static async Task<Results<Ok<RankingVersionResponse>, ValidationProblem>> GetReport(string tenantId, string version, IGrainFactory grains)
    {
        if (Invalid(version) is { } problem)
        {
            return problem;
        }

        return TypedResults.Ok(RankingVersionResponse.From(tenantId, await Ranking(grains, tenantId).GetVersionAsync(version)));
    }

    public static async Task<Results<ContentHttpResult, ValidationProblem>> GetReportHtml(string tenantId, string version, IGrainFactory grains)
    {
        if (Invalid(version) is { } problem)
        {
            return problem;
        }

        var view = await Ranking(grains, tenantId).GetVersionAsync(version);
        return TypedResults.Content(RankingReportPage.Render(tenantId, view), "text/html; charset=utf-8");
    }

    public static async Task<Results<Ok<RankingExplorationResponse>, ValidationProblem>> SetExploration(
        string tenantId, RankingExplorationRequest body, ClaimsPrincipal user, IGrainFactory grains)
    {
        var v = new Validation();
        var rate = v.Required(body.Rate, "rate");
        v.Range(body.Rate, "rate", 0, 0.5);
        if (!v.IsValid)
        {
            return v.Problem();
        }

        var pointer = await Ranking(grains, tenantId).SetExplorationAsync(rate, user.ToActor());
        return TypedResults.Ok(new RankingExplorationResponse(pointer.ExplorationRate, pointer.Version ?? RankingModel.Prior));
    }

    private static ValidationProblem? Invalid(string version)
    {
        var v = new Validation();
        v.Key(version, "version");
        return v.IsValid ? null : v.Problem();
    }

    private static IRankingGrain Ranking(IGrainFactory grains, string tenantId) => grains.GetGrain<IRankingGrain>(tenantId);
}

public sealed record RankingLinks(string Report, string ReportHtml, string Promote, string Rollback);

/// <summary>A ranking model version: status, gate verdict, shadow evaluation (candidate next to the active ranker), calibrations, links.</summary>
public sealed record RankingVersionResponse(
    string Version,
    RankingStatus Status,
    bool Active,
    DateTimeOffset CreatedAt,
    string Trigger,
    GateDecision Gate,
    ShadowEvaluation Evaluation,
    int Features,
    IReadOnlyDictionary<string, CalibrationResponse> Calibrations,
    RankingLinks Links)
{
    public static RankingVersionResponse From(string tenantId, RankingVersionView v)
    {
        var self = $"/v1/tenants/{tenantId}/ranking/models/{v.Version}";
        return new(v.Version, v.Status, v.Active, v.CreatedAt, v.Trigger, v.Gate, v.Evaluation, v.Features,
            v.Calibrations.ToDictionary(c => c.Key, c => CalibrationResponse.From(c.Value), StringComparer.Ordinal),
            new RankingLinks($"{self}/report", $"{self}/report.html", $"{self}/promote", $"{self}/rollback"));
    }
}

/// <summary>One action type's calibration: Platt's slope and offset, or isotonic's blocks (mins, maxes, values).</summary>
public sealed record CalibrationResponse(
    CalibrationMethod Method, int Outcomes, string Why, double Slope, double Offset, IReadOnlyList<double> Mins, IReadOnlyList<double> Maxes, IReadOnlyList<double> Values)
{
    public static CalibrationResponse From(Calibration c) => new(
        c.Method, c.Outcomes, c.Why, c.Slope, c.Offset, c.Mins.IsDefault ? [] : c.Mins, c.Maxes.IsDefault ? [] : c.Maxes, c.Values.IsDefault ? [] : c.Values);
}

public sealed record RankingChangeResponse(string Change, string From, string To, string Actor, DateTimeOffset At);

/// <summary>The models list (API.md: <c>{"items":[...]}</c>), with the active ranker ("prior" when none), exploration and history.</summary>
public sealed record RankingModelsResponse(
    IReadOnlyList<RankingVersionResponse> Items, string? NextCursor, string Active, double ExplorationRate, string? LastNight, IReadOnlyList<RankingChangeResponse> History);

public sealed record RankingExplorationRequest(double? Rate);

public sealed record RankingExplorationResponse(double Rate, string Active);
