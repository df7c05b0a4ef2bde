using System.Globalization;
using Autonomy.CostGate;

namespace Autonomy.Simulator;

/// <summary>What to simulate: the population, how long, the tenants' budgets, and the prices that turn use into cost.</summary>
public sealed record SimulationOptions
{
    public int Accounts { get; init; } = 10_000;

    public int Days { get; init; } = 1;

    public int Seed { get; init; } = 1;

    public string Out { get; init; } = "sim-out";

    /// <summary>Accounts per tenant; budgets and throttles are per tenant.</summary>
    public int AccountsPerTenant { get; init; } = 1_000;

    /// <summary>Decision runs per tenant per day (the tenant's cost budget; <c>CostBudget.Default</c>).</summary>
    public long RunsPerDay { get; init; } = 10_000;

    /// <summary>Engine tokens per tenant per day. Larger than <c>CostBudget.Default</c>: every daily brief is a run under today's gate.</summary>
    public long TokensPerDay { get; init; } = 10_000_000;

    /// <summary>Pulls per tenant per day (<c>CostBudget.Default</c>).</summary>
    public long PullsPerDay { get; init; } = 50_000;

    /// <summary>The most tokens one engine call may use: reserved before the call, the unused part given back after.</summary>
    public int TokensReservedPerCall { get; init; } = 3_000;

    /// <summary>USD per million prompt and completion tokens, and per pull (illustrative prices, override them).</summary>
    public double PromptPricePerMillion { get; init; } = 0.15;

    public double CompletionPricePerMillion { get; init; } = 0.60;

    public double PricePerPull { get; init; } = 0.00002;

    /// <summary>The cost gate's thresholds for every tenant: the silo's defaults (<c>GateThresholds.Default</c>).</summary>
    public double MinMarginalValue { get; init; } = GateThresholds.Default.MinMarginalValue;

    public double MinRunIntervalMinutes { get; init; } = GateThresholds.Default.MinRunInterval.TotalMinutes;

    /// <summary>Print the progress line to stderr.</summary>
    public bool Progress { get; init; } = true;

    public static SimulationOptions Parse(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var o = new SimulationOptions();
        for (var i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
            long Number() => long.Parse(Next(), NumberStyles.Integer, CultureInfo.InvariantCulture);
            o = args[i] switch
            {
                "--accounts" => o with { Accounts = (int)Number() },
                "--days" => o with { Days = (int)Number() },
                "--seed" => o with { Seed = (int)Number() },
                "--out" => o with { Out = Next() },
                "--accounts-per-tenant" => o with { AccountsPerTenant = (int)Number() },
                "--runs-per-day" => o with { RunsPerDay = Number() },
                "--tokens-per-day" => o with { TokensPerDay = Number() },
                "--pulls-per-day" => o with { PullsPerDay = Number() },
                "--no-progress" => o with { Progress = false },
                "--min-marginal-value" => o with { MinMarginalValue = double.Parse(Next(), CultureInfo.InvariantCulture) },
                "--min-run-interval-minutes" => o with { MinRunIntervalMinutes = double.Parse(Next(), CultureInfo.InvariantCulture) },
                _ => throw new ArgumentException($"Unknown option {args[i]}. Options: --accounts N --days D --seed S --out DIR [--accounts-per-tenant N] [--runs-per-day N] [--tokens-per-day N] [--pulls-per-day N] [--min-marginal-value X] [--min-run-interval-minutes M] [--no-progress]"),
            };
        }

        if (o.Accounts < 1 || o.Days < 1 || o.AccountsPerTenant < 1)
        {
            throw new ArgumentException("--accounts, --days and --accounts-per-tenant must be at least 1.");
        }

        return o;
    }
}
