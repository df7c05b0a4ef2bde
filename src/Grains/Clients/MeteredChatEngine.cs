using Autonomy.CostGate;
using Autonomy.Policy;
using Autonomy.Tenants;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Autonomy.Decisions;

/// <summary>
/// The chat engine behind <see cref="IMeteredEngine"/>: a run's prompt is quoted in tokens (the upper bound the gate
/// reserves), and after the call the tenant's reservation is settled with the tokens the call used.
/// </summary>
public sealed class MeteredChatEngine(ChatEngine chat, IGrainFactory grains, IOptions<ChatEngineOptions> options, ILogger<MeteredChatEngine> logger) : IMeteredEngine
{
    public TimeSpan DeferAfterFailure => options.Value.DeferAfterFailure;

    public EngineQuote Quote(DecisionContext context, TenantSnapshot tenant)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(tenant);
        var settings = tenant.EngineSettings.Chat ?? throw new InvalidOperationException($"Tenant {context.TenantId} has no chat settings to quote a call with.");
        var disabled = tenant.Modes.Where(m => m.Value == AutonomyModeV1.Disabled).Select(m => m.Key);
        var prompt = chat.Prepare(context, settings, tenant.Catalog, disabled);
        return new ChatQuote(context.TenantId, context.RunId, prompt.ExpectedTokens, tenant.CostBudget.EngineTokensPerDay, prompt, settings);
    }

    public async Task<MeteredAnswer> CallAsync(EngineQuote quote, TokenReservation reserved, CancellationToken cancellationToken = default)
    {
        var q = quote as ChatQuote ?? throw new ArgumentException("Not a quote of the chat engine.", nameof(quote));
        ArgumentNullException.ThrowIfNull(reserved);
        var outcome = await chat.CallAsync(q.Prompt, q.Settings, cancellationToken);
        var charged = outcome.Charged(reserved.Tokens);
        TokenSettlement? settlement = null;
        try
        {
            settlement = await grains.GetGrain<ITokenBudgetGrain>(q.TenantId).SettleAsync(q.RunId, charged, q.TokensPerDay);
        }
        catch (Exception ex) when (ex is TimeoutException or OrleansException)
        {
            // Unsettled, the reservation stays charged in full: the budget errs on the side of spending less.
            logger.LogWarning(ex, "Settling the token reservation of run {RunId} failed; it stays charged in full.", q.RunId);
        }

        return new MeteredAnswer(outcome, charged, q.Settings.Cost(outcome.PromptTokens ?? 0, outcome.CompletionTokens ?? 0), settlement);
    }

    /// <summary>The prepared call: the prompt and the tenant's settings it goes out under.</summary>
    private sealed record ChatQuote(string TenantId, string RunId, long Tokens, long TokensPerDay, ChatPrompt Prompt, ChatSettings Settings)
        : EngineQuote(TenantId, RunId, Tokens, TokensPerDay);
}
