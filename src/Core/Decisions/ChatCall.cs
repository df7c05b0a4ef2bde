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
