using System.Collections.Immutable;

namespace Autonomy.Actions;

/// <summary>Something the internal executor keeps for an account: a task, a note, a field value or a draft.</summary>
[GenerateSerializer, Immutable, Alias("autonomy.WorkItem")]
public sealed record WorkItem(
    [property: Id(0)] string Key,
    [property: Id(1)] string ActionType,
    [property: Id(2)] string Parameters,
    [property: Id(3)] DateTimeOffset CreatedAt,
    [property: Id(4)] bool Reverted,
    [property: Id(5)] string? Field,
    [property: Id(6)] string? PreviousValue);

/// <summary>The account's workspace as the internal executor keeps it.</summary>
[GenerateSerializer, Immutable, Alias("autonomy.WorkspaceView")]
public sealed record WorkspaceView(
    [property: Id(0)] ImmutableArray<WorkItem> Items,
    [property: Id(1)] ImmutableDictionary<string, string> Fields);

/// <summary>Tasks, notes, CRM field values and drafts kept by the system for one account. Key: "{tenantId}/{accountId}".</summary>
[Alias("autonomy.IWorkspaceGrain")]
public interface IWorkspaceGrain : IGrainWithStringKey
{
    /// <summary>Applies an action once per key.</summary>
    [Alias("Apply")]
    Task<WorkItem> ApplyAsync(string key, string actionType, string parameters);

    /// <summary>Undoes the action applied under this key, once.</summary>
    [Alias("Revert")]
    Task<WorkItem?> RevertAsync(string key);

    /// <summary>Returns the workspace.</summary>
    [Alias("Get")]
    Task<WorkspaceView> GetAsync();
}
