using System.Text.Json.Nodes;
using Autonomy.Accounts;
using Autonomy.Gateway.Infrastructure;
using Autonomy.Learning;
using Autonomy.Outcomes;
using Autonomy.Policy;

namespace Autonomy.Gateway.Apis;

// Proposals and executed actions as API.md's "Shapes" name them; the account, the seller's queue and timeline,
// the digest and the proposal endpoints all answer with these. JSON text (parameters) becomes JSON objects.

/// <summary>
/// A proposal awaiting a human (or a propose-only suggestion). <c>confidence</c> is the engine's own (the policy reads
/// it); <c>calibratedConfidence</c> is the active ranking model's, for display (null under the prior), and
/// <c>rankScore</c> the score that orders the queue under <c>ranker</c>.
/// </summary>
public sealed record ProposalResponse(
    string ProposalId,
    string RunId,
    string AccountId,
    string SellerId,
    string ActionType,
    JsonNode? Parameters,
    string ArgsDigest,
    double Confidence,
    PolicyDecision Decision,
    PolicyReason Reason,
    string Explanation,
    string PolicyVersion,
    DateTimeOffset CreatedAt,
    DateTimeOffset ExpiresAt,
    bool StartedBySchedule,
    double? CalibratedConfidence,
    string Ranker,
    double RankScore)
{
    public static ProposalResponse From(ProposalView p) => new(
        p.ProposalId, p.RunId, p.AccountId, p.SellerId, p.ActionType, GatewayJson.Node(p.Parameters), p.ArgsDigest, p.Confidence,
        p.Decision, p.Reason, p.Explanation, p.PolicyVersion, p.CreatedAt, p.ExpiresAt, p.StartedBySchedule,
        p.Ranking?.CalibratedConfidence, p.Ranking?.Ranker ?? RankingModel.Prior, p.Ranking?.Score ?? p.Confidence);
}

/// <summary>An executed action: a timeline item, "Autopilot did X" when <c>autonomous</c>.</summary>
public sealed record TimelineItemResponse(
    string ActionId,
    string RunId,
    string AccountId,
    string SellerId,
    string ActionType,
    JsonNode? Parameters,
    bool Autonomous,
    ActionStatus Status,
    DateTimeOffset ExecutedAt,
    PolicyReason Reason,
    string Explanation,
    string PolicyVersion,
    string? ProposalId,
    OutcomeV1? Outcome,
    string? Detail,
    bool Revertible)
{
    public static TimelineItemResponse From(ActionView a) => new(
        a.ActionId, a.RunId, a.AccountId, a.SellerId, a.ActionType, GatewayJson.Node(a.Parameters), a.Autonomous, a.Status, a.ExecutedAt,
        a.Reason, a.Explanation, a.PolicyVersion, a.ProposalId, a.Outcome, a.Detail, a.Revertible);
}
