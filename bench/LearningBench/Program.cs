using System.Collections.Immutable;
using System.Diagnostics;
using System.Globalization;
using Autonomy.Learning;
using Autonomy.LearningBench;

// The learning benchmark: synthetic sellers with hidden tastes, outcomes through the real core, the prior and each
// learned version scored on held-out accounts, sellers and days, the gate's verdicts, an injected regression, and
// the time to calibrate on 100,000 outcomes.   dotnet run -c Release --project bench/LearningBench
CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
var options = new WorldOptions();
const int TrainDays = 15;
var ok = true;
var checks = new List<string>();

Console.WriteLine("# Learning benchmark");
Console.WriteLine();
Console.WriteLine($"{options.Sellers} sellers ({options.HeldOutSellers} held out), {options.AccountsPerSeller} accounts each ({options.HeldOutAccountsPerSeller} held out), {options.Days} days (the last {options.Days - TrainDays} held out), " +
    $"{options.RunsPerAccountPerDay} runs per account a day, {options.ProposalsPerRun} proposals per run; tastes: always / context-dependent / never, noise {options.Noise}, " +
    $"expiry {options.ExpiryRate}, execution failures {options.ExecutionFailureRate} (unrelated to the idea), logged with exploration {options.ExplorationRate}.");
Console.WriteLine();

var world = new World(options);
var (entries, truth) = world.Simulate(options.ExecutionFailureRate);
var want = truth.ToDictionary(h => (h.RunId, h.Position), h => h);
var all = Dataset(entries);
Console.WriteLine($"{entries.Count:N0} ledger entries, {all.Length:N0} labelled outcomes.");
Console.WriteLine();

var heldOutAccounts = all.Where(e => Day(e) >= TrainDays && !world.IsHeldOutSeller(e.SellerId) && world.IsHeldOutAccount(e.AccountId)).ToList();
var heldOutDays = all.Where(e => Day(e) >= TrainDays && !world.IsHeldOutSeller(e.SellerId)).ToList();
var heldOutSellers = all.Where(e => Day(e) >= TrainDays && world.IsHeldOutSeller(e.SellerId)).ToList();
List<LearningExample> TrainOn(int days) => [.. all.Where(e => Day(e) < days && !world.IsHeldOutSeller(e.SellerId) && !world.IsHeldOutAccount(e.AccountId))];

Console.WriteLine("## The prior and each learned version on held-out accounts (later days)");
Console.WriteLine();
Console.WriteLine("| ranker | trained on | precision@1 | preferred first | NDCG | ECE | Brier | ECE uncal. | Brier uncal. | held-out sellers p@1 | gate vs active | seconds |");
Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|");
RankingModel? active = null;
Row("prior", 0, null, "-", 0);
var versions = new List<RankingModel>();
foreach (var days in new[] { 3, 8, TrainDays })
{
    var train = TrainOn(days);
    var clock = Stopwatch.StartNew();
    var model = RankingTrainer.Train($"v{versions.Count + 1}", train, DateTimeOffset.UnixEpoch);
    var evaluation = Shadow.Evaluate(model, active, train, heldOutAccounts);
    var gate = PromotionGate.Decide(evaluation, GateOptions.Default);
    var seconds = clock.Elapsed.TotalSeconds;
    Row(model.Version, train.Count, model, $"{(gate.Passed ? "PROMOTED" : "BLOCKED")} vs {Ranker.NameOf(active)}", seconds);
    ok &= Check(gate.Passed, $"{model.Version} is a real improvement and must be promoted", string.Join(" ", gate.Reasons));
    versions.Add(model);
    if (gate.Passed)
    {
        active = model;
    }
}

var best = versions[^1];
var inverted = best.Inverted($"{best.Version}-inverted");
var badGate = PromotionGate.Decide(Shadow.Evaluate(inverted, active, TrainOn(TrainDays), heldOutAccounts), GateOptions.Default);
Row(inverted.Version, 0, inverted, $"{(badGate.Passed ? "PROMOTED" : "BLOCKED")} vs {Ranker.NameOf(active)}", 0);
Console.WriteLine();
ok &= Check(!badGate.Passed, "the injected regression (inverted weights) must be blocked", string.Join(" ", badGate.Reasons));

var priorFirst = PreferredFirst(null, heldOutAccounts);
var learnedFirst = PreferredFirst(best, heldOutAccounts);
ok &= Check(learnedFirst - priorFirst >= 0.20, $"preferred proposal first {learnedFirst:P1} vs prior {priorFirst:P1}: at least 20 points more", "");

Console.WriteLine("## Calibration per action type (held-out days, every account of the training sellers)");
Console.WriteLine();
Console.WriteLine("| action type | method | calibration outcomes | held-out outcomes | ECE before | ECE after | Brier before | Brier after |");
Console.WriteLine("|---|---|---:|---:|---:|---:|---:|---:|");
var finalEvaluation = Shadow.Evaluate(best, null, TrainOn(TrainDays), heldOutDays);
foreach (var c in finalEvaluation.Calibration)
{
    Console.WriteLine($"| {c.ActionType} | {c.Method} | {c.Outcomes:N0} | {c.HoldoutOutcomes:N0} | {c.EceBefore:0.0000} | {c.EceAfter:0.0000} | {c.BrierBefore:0.0000} | {c.BrierAfter:0.0000} |");
    if (c.Outcomes >= 1000)
    {
        ok &= Check(c.EceAfter <= 0.05, $"{c.ActionType}: ECE after calibration {c.EceAfter:0.0000} <= 0.05 with {c.Outcomes:N0} outcomes", "");
    }
}

Console.WriteLine();

// Execution failures unrelated to the idea: the same world and answers with no failures at all.
var (cleanEntries, _) = world.Simulate(0);
var clean = Dataset(cleanEntries);
var cleanModel = RankingTrainer.Train("clean", [.. clean.Where(e => Day(e) < TrainDays && !world.IsHeldOutSeller(e.SellerId) && !world.IsHeldOutAccount(e.AccountId))], DateTimeOffset.UnixEpoch);
var shownLabelsDiffer = all.Where(e => e.Shown).Zip(clean.Where(e => e.Shown)).Count(p => p.First.Wanted != p.Second.Wanted || p.First.RunId != p.Second.RunId);
var slates = Shadow.Slates(heldOutAccounts);
var sameTop = slates.Count(s => ReferenceEquals(Autonomy.Learning.RankingMetrics.Order(s, Shadow.Scorer(best))[0], Autonomy.Learning.RankingMetrics.Order(s, Shadow.Scorer(cleanModel))[0]));
Console.WriteLine("## Execution failures unrelated to the idea");
Console.WriteLine();
Console.WriteLine($"With {options.ExecutionFailureRate:P0} of executions failing vs none: {shownLabelsDiffer} labels of proposals people answered differ; the top proposal is the same in {sameTop:N0} of {slates.Count:N0} held-out decisions ({(double)sameTop / slates.Count:P2}). " +
    "(An executed idea is labelled the same whether its execution failed or succeeded, so the datasets are identical.)");
Console.WriteLine();
ok &= Check(shownLabelsDiffer == 0, "execution failures change no label of a proposal people answered", "");
ok &= Check(sameTop == slates.Count, "execution failures leave every held-out top proposal unchanged", $"{slates.Count - sameTop} differ");

// Consistent tastes (always or never, little noise): the share of held-out accounts whose favourite comes first.
var consistentWorld = new World(options with { ContextTastes = false, Noise = 0.03, Seed = 7 });
var (consistentEntries, consistentTruth) = consistentWorld.Simulate(options.ExecutionFailureRate);
var consistentWant = consistentTruth.ToDictionary(h => (h.RunId, h.Position), h => h);
var consistent = Dataset(consistentEntries);
var consistentModel = RankingTrainer.Train("consistent", [.. consistent.Where(e => DayOf(consistentWant, e) < TrainDays && !consistentWorld.IsHeldOutSeller(e.SellerId) && !consistentWorld.IsHeldOutAccount(e.AccountId))], DateTimeOffset.UnixEpoch);
var accounts = consistent.Where(e => DayOf(consistentWant, e) >= TrainDays && !consistentWorld.IsHeldOutSeller(e.SellerId) && consistentWorld.IsHeldOutAccount(e.AccountId)).GroupBy(e => e.AccountId).ToList();
var wonAccounts = accounts.Count(g => PreferredFirstIn(consistentModel, [.. g], consistentWant) >= 0.5);
var priorAccounts = accounts.Count(g => PreferredFirstIn(null, [.. g], consistentWant) >= 0.5);
Console.WriteLine("## Consistent tastes per seller");
Console.WriteLine();
Console.WriteLine($"Held-out accounts where the seller's preferred proposal comes first in most decisions: learned {wonAccounts} of {accounts.Count} ({(double)wonAccounts / accounts.Count:P1}), prior {priorAccounts} ({(double)priorAccounts / accounts.Count:P1}).");
Console.WriteLine();
ok &= Check((double)wonAccounts / accounts.Count >= 0.8, "consistent tastes: preferred first on at least 80% of held-out accounts", "");

// Time to calibrate on 100,000 outcomes: dataset from ledger entries, split, train, shadow evaluation, gate.
var cut = entries.Take(FirstEntriesFor(entries, 100_000)).ToList();
var timer = Stopwatch.StartNew();
var builder = new LearningDatasetBuilder();
builder.AddRange(cut);
var hundred = builder.Build();
var (t100, h100) = Shadow.Split(hundred);
var datasetSeconds = timer.Elapsed.TotalSeconds;
var m100 = RankingTrainer.Train("timing", t100, DateTimeOffset.UnixEpoch);
var trainSeconds = timer.Elapsed.TotalSeconds - datasetSeconds;
var g100 = PromotionGate.Decide(Shadow.Evaluate(m100, null, t100, h100), GateOptions.Default);
var elapsed = timer.Elapsed.TotalSeconds;
Console.WriteLine("## Time to calibrate");
Console.WriteLine();
Console.WriteLine($"{hundred.Length:N0} outcomes ({cut.Count:N0} ledger entries): dataset, split, training, calibration, shadow evaluation and gate in {elapsed:0.0} s on {Environment.ProcessorCount} cores (dataset {datasetSeconds:0.0} s, training and calibration {trainSeconds:0.0} s, evaluation {elapsed - datasetSeconds - trainSeconds:0.0} s) (gate {(g100.Passed ? "passed" : "failed")}).");
Console.WriteLine();
ok &= Check(elapsed < 30, "calibrating on 100,000 outcomes takes under 30 s", "");

// The same through a real ledger store, as the ranking grain calibrates: the entries written to an embedded SQLite
// ledger (one stream per account), then paged back by type and built, split, trained, evaluated.
var directory = Directory.CreateTempSubdirectory("learning-bench-");
try
{
    await using var store = new Autonomy.Ledger.SqliteLedger(Path.Combine(directory.FullName, "ledger.db"), TimeProvider.System);
    var write = Stopwatch.StartNew();
    foreach (var account in cut.GroupBy(e => e.Type == Autonomy.Ledger.LedgerTypes.ProposalsRanked
        ? Autonomy.Learning.RankingLedger.Read<ProposalsRankedPayload>(e).AccountId : "outcomes"))
    {
        var stream = new Autonomy.Ledger.LedgerStream(store, TimeProvider.System, "bench", $"account/bench/{account.Key}");
        foreach (var chunk in account.Chunk(2000))
        {
            await stream.AppendAsync([.. chunk.Select(e => new Autonomy.Ledger.LedgerDraft(e.Type, e.RunId, e.Actor, System.Text.Json.JsonDocument.Parse(e.Payload).RootElement))]);
        }
    }

    var writeSeconds = write.Elapsed.TotalSeconds;
    var read = Stopwatch.StartNew();
    var fromStore = new LearningDatasetBuilder();
    foreach (var type in LearningDatasetBuilder.Types)
    {
        string? cursor = null;
        do
        {
            var page = await store.QueryAsync(new Autonomy.Ledger.LedgerQuery("bench", Type: type, Limit: 1000, Cursor: cursor));
            fromStore.AddRange(page.Items);
            cursor = page.NextCursor;
        }
        while (cursor is not null);
    }

    var stored = fromStore.Build();
    var readSeconds = read.Elapsed.TotalSeconds;
    var (ts, hs) = Shadow.Split(stored);
    var ms = RankingTrainer.Train("timing-store", ts, DateTimeOffset.UnixEpoch);
    PromotionGate.Decide(Shadow.Evaluate(ms, null, ts, hs), GateOptions.Default);
    var storeSeconds = read.Elapsed.TotalSeconds;
    Console.WriteLine($"Through an embedded SQLite ledger as the ranking grain reads it: {stored.Length:N0} outcomes paged back by type and built in {readSeconds:0.0} s, the whole calibration in {storeSeconds:0.0} s (writing the {cut.Count:N0} entries first took {writeSeconds:0.0} s, not counted).");
    Console.WriteLine();
    ok &= Check(storeSeconds < 30, "calibrating on 100,000 outcomes read from the ledger store takes under 30 s", $"{storeSeconds:0.0} s");
}
finally
{
    Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
    directory.Delete(recursive: true);
}

Console.WriteLine("## Targets");
Console.WriteLine();
checks.ForEach(Console.WriteLine);
Console.WriteLine();
Console.WriteLine(ok ? "All targets met." : "Some targets were missed (see above).");
return ok ? 0 : 1;

int Day(LearningExample e) => want[(e.RunId, e.Position)].Day;

static int DayOf(Dictionary<(string, int), Happened> truthOf, LearningExample e) => truthOf[(e.RunId, e.Position)].Day;

static ImmutableArray<LearningExample> Dataset(List<Autonomy.Ledger.LedgerEntry> ledger)
{
    var b = new LearningDatasetBuilder();
    b.AddRange(ledger);
    return b.Build();
}

// The share of held-out decisions whose top proposal is one the seller truly wants most (hidden truth, not the noisy label).
double PreferredFirst(RankingModel? model, List<LearningExample> examples) => PreferredFirstIn(model, examples, want);

static double PreferredFirstIn(RankingModel? model, List<LearningExample> examples, Dictionary<(string, int), Happened> truthOf)
{
    var s = Shadow.Slates(examples);
    if (s.Count == 0)
    {
        return 0;
    }

    return s.Average(slate =>
    {
        var top = Autonomy.Learning.RankingMetrics.Order(slate, Shadow.Scorer(model))[0];
        return truthOf[(top.RunId, top.Position)].TrueWant >= slate.Max(e => truthOf[(e.RunId, e.Position)].TrueWant) ? 1.0 : 0.0;
    });
}

void Row(string name, int trainedOn, RankingModel? model, string gate, double seconds)
{
    var m = Shadow.Metrics(model, heldOutAccounts, Shadow.Slates(heldOutAccounts));
    var sellers = Shadow.Metrics(model, heldOutSellers, Shadow.Slates(heldOutSellers));
    Console.WriteLine($"| {name} | {trainedOn:N0} | {m.PrecisionAt1:0.000} | {PreferredFirst(model, heldOutAccounts):0.000} | {m.Ndcg:0.000} | {m.Ece:0.0000} | {m.Brier:0.0000} | {m.EceUncalibrated:0.0000} | {m.BrierUncalibrated:0.0000} | {sellers.PrecisionAt1:0.000} | {gate} | {seconds:0.0} |");
}

static int FirstEntriesFor(List<Autonomy.Ledger.LedgerEntry> ledger, int outcomes)
{
    var count = 0;
    for (var i = 0; i < ledger.Count; i++)
    {
        if (ledger[i].Type == Autonomy.Ledger.LedgerTypes.OutcomeRecorded && ++count >= outcomes)
        {
            return i + 1;
        }
    }

    return ledger.Count;
}

bool Check(bool passed, string what, string detail)
{
    checks.Add($"- {(passed ? "MET" : "MISSED")}: {what}{(detail.Length > 0 && !passed ? $" ({detail})" : "")}");
    return passed;
}
