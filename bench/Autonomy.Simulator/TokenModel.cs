namespace Autonomy.Simulator;

/// <summary>What an engine call costs in tokens: a prompt that grows with the window's signals, a completion of a few proposals.</summary>
internal static class TokenModel
{
    public const int BasePrompt = 1_200;
    public const int PromptPerSignal = 60;
    public const int MaxSignalsInPrompt = 20;

    public static (int Prompt, int Completion) Call(int signals, ref Rng random) =>
        (BasePrompt + (PromptPerSignal * Math.Min(signals, MaxSignalsInPrompt)), 150 + (int)(random.Next() * 200));

    public static long Mean(int signals) => BasePrompt + (PromptPerSignal * Math.Min(signals, MaxSignalsInPrompt)) + 250;
}
