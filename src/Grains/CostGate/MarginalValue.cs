namespace Autonomy.CostGate;

/// <summary>How much a decision run is worth before it costs anything: the gate compares this with its threshold.</summary>
public static class MarginalValue
{
    /// <summary>The value a ritual (daily brief, weekly review, renewal runway) brings on its own.</summary>
    public const double Ritual = 1.0;

    /// <summary>The share of the account's heat a signal-started run adds to the signals' own values.</summary>
    public const double HeatWeight = 0.1;

    /// <summary>
    /// A scheduled run is worth <see cref="Ritual"/>; a signal-started one the sum of its signals' values (0..1 each)
    /// plus <see cref="HeatWeight"/> × heat.
    /// </summary>
    public static double Of(bool startedBySchedule, double signalValueSum, double heat) =>
        startedBySchedule ? Ritual : signalValueSum + (HeatWeight * heat);
}
