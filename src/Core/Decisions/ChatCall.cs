using System.Collections.Immutable;

namespace Autonomy.Decisions;

/// <summary>How a chat engine call ended.</summary>
public enum ChatCallResult
{
    /// <summary>A well-formed answer; its proposals were validated one by one.</summary>
    Ok,

    /// <summary>An answer that is not the JSON the schema asks for: rejected whole, nothing of it proposed.</summary>
    MalformedOutput,

    /// <summary>No answer within the time allowed (<c>Autonomy:Chat:TotalTimeout</c>).</summary>
    Timeout,

    /// <summary>The endpoint refused or could not be reached (an HTTP error, a broken connection, an open circuit).</summary>
    Failed,
}

/// <summary>One proposal of an answer that was not taken, and why (never executed, never shown).</summary>
public sealed record RejectedProposal(int Index, string? ActionType, string Reason, string Detail);

/// <summary>
/// What a call came to: the validated proposals (when <see cref="Result"/> is OK), those rejected, the tokens the
/// endpoint reported (null when it reported none) and how long it took.
/// </summary>
public sealed record ChatOutcome(
    ChatCallResult Result,
    DecisionResult? Decision,
    long? PromptTokens,
    long? CompletionTokens,
    ImmutableArray<RejectedProposal> Rejected,
    string? Detail,
    string? Model,
    TimeSpan Elapsed,
    bool EndpointAnswered)
{
    /// <summary>Whether the endpoint reported what it used.</summary>
    public bool UsageKnown => PromptTokens is not null || CompletionTokens is not null;

    public long TotalTokens => (PromptTokens ?? 0) + (CompletionTokens ?? 0);

    /// <summary>
    /// The tokens to charge for the call: what the endpoint reported; nothing for a refusal it answered (nothing
    /// billed); else the whole <paramref name="reserved"/>, since the endpoint may have spent tokens without saying.
    /// </summary>
    public long Charged(long reserved) => UsageKnown ? TotalTokens : EndpointAnswered && Result == ChatCallResult.Failed ? 0 : reserved;

    /// <summary>Why the call gave no usable answer, as ENGINE_FALLBACK records it.</summary>
    public string FailureReason => Result switch
    {
        ChatCallResult.Timeout => "ENGINE_TIMEOUT",
        ChatCallResult.MalformedOutput => "MALFORMED_OUTPUT",
        _ => "ENGINE_FAILED",
    };
}
