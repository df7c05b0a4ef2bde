using System.Collections.Immutable;
using Autonomy.Accounts;
using Autonomy.Actions;
using Autonomy.Learning;
using Autonomy.Ledger;
using Autonomy.Outcomes;
using Autonomy.Perception;
using Autonomy.Policy;

namespace Autonomy.LearningBench;

/// <summary>How a seller feels about an action type: always wanted, wanted only in some context, or always rejected.</summary>
internal enum Taste
{
    Always,
    Context,
    Never,
}

/// <summary>The synthetic world's knobs.</summary>
internal sealed record WorldOptions(
    int Sellers = 60,
    int HeldOutSellers = 10,
    int AccountsPerSeller = 8,
    int HeldOutAccountsPerSeller = 2,
    int Days = 20,
    int RunsPerAccountPerDay = 3,
    int ProposalsPerRun = 4,
    bool ContextTastes = true,
    double Noise = 0.08,
    double ExpiryRate = 0.08,
    double ExecutionFailureRate = 0.10,
    double ExplorationRate = 0.1,
    int Seed = 2026);

/// <summary>One proposal as it happened: the decision-time record and the hidden truth, for the benchmark's own checks.</summary>
internal sealed record Happened(string RunId, int Position, string SellerId, string AccountId, int Day, double TrueWant);

/// <summary>
/// Synthetic sellers with hidden tastes produce outcomes through the real core: the ranking step (prior, with
/// exploration) logs PROPOSALS_RANKED, the policy (AutoApprovalPolicyV1 on the built-in catalog) decides what runs
/// alone and what a seller sees, execution fails at random (never because of the idea), and every outcome is an
/// OUTCOME_RECORDED ledger entry in the ledger's own JSON, which the dataset builder reads back.
/// </summary>
internal sealed class World
{
    public static readonly string[] Types = ["CREATE_TASK", "LOG_NOTE", "UPDATE_CRM_FIELD", "DRAFT_EMAIL", "ESCALATE_TO_MANAGER", "SEND_EMAIL", "REQUEST_MEETING", "UPDATE_OPPORTUNITY_STAGE"];
    private static readonly string[] Triggers = ["EMAIL_REPLY_RECEIVED", "RENEWAL_WINDOW_OPENED", "USAGE_DROPPED", "MEETING_HELD"];
    private static readonly string[] Lifecycles = ["CUSTOMER", "ONBOARDING", "RENEWAL"];
    private static readonly DateTimeOffset Start = new(2026, 1, 5, 0, 0, 0, TimeSpan.Zero);

    private readonly WorldOptions _o;
    private readonly Dictionary<(string Seller, string Type), (Taste Taste, HeatTier ContextTier, string ContextTrigger)> _tastes = [];

    public World(WorldOptions options)
    {
        _o = options;
        var random = new Random(options.Seed);
        for (var s = 0; s < options.Sellers; s++)
        {
            foreach (var type in Types)
            {
                var roll = random.NextDouble();
                var taste = !options.ContextTastes ? (roll < 0.35 ? Taste.Always : Taste.Never) : roll < 0.3 ? Taste.Always : roll < 0.6 ? Taste.Context : Taste.Never;
                _tastes[(Seller(s), type)] = (taste, (HeatTier)random.Next(3), Triggers[random.Next(Triggers.Length)]);
            }
        }
    }

    public static string Seller(int s) => $"seller-{s:D3}";

    public IEnumerable<string> TrainSellers => Enumerable.Range(0, _o.Sellers - _o.HeldOutSellers).Select(Seller);

    public bool IsHeldOutSeller(string seller) => int.Parse(seller[7..], System.Globalization.CultureInfo.InvariantCulture) >= _o.Sellers - _o.HeldOutSellers;

    public bool IsHeldOutAccount(string account) => int.Parse(account[^1..], System.Globalization.CultureInfo.InvariantCulture) >= _o.AccountsPerSeller - _o.HeldOutAccountsPerSeller;

    /// <summary>How likely the seller is to want this proposal in this context (the hidden truth).</summary>
    public double Want(string seller, string type, HeatTier tier, string trigger)
    {
        var (taste, contextTier, contextTrigger) = _tastes[(seller, type)];
        var p = taste switch
        {
            Taste.Always => 1.0,
            Taste.Never => 0.0,
            _ => tier == contextTier || trigger == contextTrigger ? 1.0 : 0.0,
        };
        return (p * (1 - _o.Noise)) + ((1 - p) * _o.Noise);
    }

    /// <summary>Every run of every account and day: the ledger entries a tenant would have, and what really happened.</summary>
    public (List<LedgerEntry> Entries, List<Happened> Truth) Simulate(double executionFailureRate)
    {
        // Separate streams: the world and the sellers' answers do not depend on how often executions fail.
        var world = new Random(_o.Seed + 1);
        var answers = new Random(_o.Seed + 2);
        var failures = new Random(_o.Seed + 3);
        var catalog = ActionCatalog.BuiltIns;
        var modes = ImmutableDictionary<string, AutonomyModeV1>.Empty.Add("CREATE_TASK", AutonomyModeV1.AutoExecute);
        var entries = new List<LedgerEntry>();
        var truth = new List<Happened>();
        var run = 0;
        for (var day = 0; day < _o.Days; day++)
        {
            for (var s = 0; s < _o.Sellers; s++)
            {
                var seller = Seller(s);
                for (var a = 0; a < _o.AccountsPerSeller; a++)
                {
                    var account = $"{seller}-acc-{a}";
                    for (var r = 0; r < _o.RunsPerAccountPerDay; r++)
                    {
                        var runId = $"run-{run++:D8}";
                        var at = Start.AddDays(day).AddMinutes(run % 1440);
                        var trigger = Triggers[world.Next(Triggers.Length)];
                        var tier = (HeatTier)world.Next(3);
                        var lifecycle = Lifecycles[world.Next(Lifecycles.Length)];
                        var posture = $$"""{"intent":{{world.NextDouble():0.00}}}""";
                        var types = Types.OrderBy(_ => world.Next()).Take(_o.ProposalsPerRun).ToArray();
                        var confidences = types.Select(_ => Math.Round(0.5 + (0.45 * world.NextDouble()), 2)).ToArray();
                        var items = types.Select((t, i) => new SlateItem(t,
                            RankingFeatures.Of(new RankingContext(t, trigger, [trigger], tier, lifecycle, posture, seller, confidences[i])), confidences[i])).ToList();
                        var ranked = SlateRanking.Rank(null, items, _o.ExplorationRate, world);
                        var proposals = ranked.Select(p => new RankedProposalEntry(p.Position, p.Index, items[p.Index].ActionType, items[p.Index].Features, items[p.Index].EngineConfidence, p.Score, p.CalibratedConfidence, p.Propensity)).ToList();
                        entries.Add(Entry(LedgerTypes.ProposalsRanked, runId, at, new ProposalsRankedPayload(RankingModel.Prior, account, seller, _o.ExplorationRate, [.. proposals])));
                        foreach (var p in proposals)
                        {
                            var want = Want(seller, p.ActionType, tier, trigger);
                            truth.Add(new Happened(runId, p.Position, seller, account, day, want));
                            var policy = AutoApprovalPolicyV1.Evaluate(new PolicyInput(
                                p.ActionType, catalog.GetValueOrDefault(p.ActionType), modes.GetValueOrDefault(p.ActionType, AutonomyModeConfigV1.Default),
                                KillSwitchState.None, p.EngineConfidence, lifecycle, false, false, PolicyParameters.Default));
                            var wanted = answers.NextDouble() < want;
                            var expires = answers.NextDouble() < _o.ExpiryRate;
                            var fails = failures.NextDouble() < executionFailureRate;
                            var id = $"{run}-{p.Position}";
                            foreach (var (outcome, proposal) in Outcomes(policy.Decision, wanted, expires, fails))
                            {
                                entries.Add(Entry(LedgerTypes.OutcomeRecorded, runId, at.AddHours(1), new OutcomeRecordedPayload(
                                    proposal ? null : $"a.x.{id}", proposal ? $"p.x.{id}" : null, outcome, OutcomeTaxonomyV1.Version)));
                            }
                        }
                    }
                }
            }
        }

        return (entries, truth);
    }

    /// <summary>What a proposal's fate writes: an action that ran alone, or a seller's answer (and then the execution's result).</summary>
    private static IEnumerable<(OutcomeV1 Outcome, bool Proposal)> Outcomes(PolicyDecision decision, bool wanted, bool expires, bool fails)
    {
        if (decision == PolicyDecision.AutoExecute)
        {
            yield return (fails ? OutcomeV1.ExecutionFailed : OutcomeV1.ExecutionSucceeded, false);
            yield break;
        }

        if (expires)
        {
            yield return (OutcomeV1.Expired, true);
        }
        else if (!wanted || decision == PolicyDecision.Block)
        {
            // A propose-only suggestion a seller wanted is still never executed; only a "no" is recorded for it.
            if (!wanted)
            {
                yield return (OutcomeV1.IdeaRejected, true);
            }
        }
        else
        {
            yield return (fails ? OutcomeV1.ExecutionFailed : OutcomeV1.ExecutionSucceeded, true);
        }
    }

    private long _seq;

    private LedgerEntry Entry(string type, string runId, DateTimeOffset at, object payload) =>
        new($"e{++_seq}", "bench", "account/bench/x", _seq, runId, type, at, "system", LedgerJson.Serialize(payload), "", "");
}
