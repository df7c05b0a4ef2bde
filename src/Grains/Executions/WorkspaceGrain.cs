using System.Collections.Immutable;
using System.Text.Json.Nodes;
using Autonomy.Common;
using Autonomy.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace Autonomy.Actions;

[GenerateSerializer, Alias("autonomy.WorkspaceState")]
public sealed record WorkspaceState
{
    /// <summary>Items kept per account; the oldest leave first (the ledger keeps every action).</summary>
    public const int MaxItems = 1000;

    /// <summary>
    /// CRM field values kept per account. Beyond it, the fields that no kept item set go (their last change left
    /// the workspace before any kept item was made, so they are the oldest), in name order; a field a kept item set
    /// stays, so its revert still finds it. Never below what the kept items need: they set at most <see cref="MaxItems"/>.
    /// </summary>
    public const int MaxFields = MaxItems;

    [Id(0)] public ImmutableDictionary<string, WorkItem> Items { get; init; } = ImmutableDictionary<string, WorkItem>.Empty;
    [Id(1)] public ImmutableDictionary<string, string> Fields { get; init; } = ImmutableDictionary<string, string>.Empty;

    /// <summary>The fields within <see cref="MaxFields"/>: beyond it, those no item of <paramref name="items"/> set leave first.</summary>
    public static ImmutableDictionary<string, string> BoundFields(ImmutableDictionary<string, string> fields, IEnumerable<WorkItem> items)
    {
        ArgumentNullException.ThrowIfNull(fields);
        if (fields.Count <= MaxFields)
        {
            return fields;
        }

        var used = items.Select(i => i.Field).OfType<string>().ToHashSet(StringComparer.Ordinal);
        return fields.RemoveRange(fields.Keys.Where(f => !used.Contains(f)).Order(StringComparer.Ordinal).Take(fields.Count - MaxFields).ToList());
    }
}

/// <summary>
/// Keeps what the internal executor produced. <c>UPDATE_CRM_FIELD</c> takes <c>{"field":...,"value":...}</c> and
/// remembers the previous value so a revert restores it; every other type is kept as an item.
/// </summary>
[GrainType("autonomy.workspace")]
public sealed class WorkspaceGrain(
    [PersistentState("workspace", "autonomy")] IPersistentState<WorkspaceState> state,
    [FromKeyedServices(AutonomyClock.Key)] TimeProvider time) : Grain, IWorkspaceGrain
{
    public async Task<WorkItem> ApplyAsync(string key, string actionType, string parameters)
    {
        if (state.State.Items.TryGetValue(key, out var existing))
        {
            return existing;
        }

        var current = state.State;
        var item = new WorkItem(key, actionType, parameters, time.GetUtcNow(), Reverted: false, Field: null, PreviousValue: null);
        var fields = current.Fields;
        if (actionType == "UPDATE_CRM_FIELD" && JsonNode.Parse(parameters) is JsonObject p && p["field"]?.ToString() is { Length: > 0 } field)
        {
            item = item with { Field = field, PreviousValue = fields.GetValueOrDefault(field) };
            fields = fields.SetItem(field, p["value"]?.ToJsonString() ?? "null");
        }

        var items = current.Items.SetItem(key, item);
        if (items.Count > WorkspaceState.MaxItems)
        {
            items = items.RemoveRange(items.Values.OrderBy(i => i.CreatedAt).ThenBy(i => i.Key, StringComparer.Ordinal)
                .Take(items.Count - WorkspaceState.MaxItems).Select(i => i.Key));
        }

        await WriteAsync(current with { Items = items, Fields = WorkspaceState.BoundFields(fields, items.Values) });
        return item;
    }

    public async Task<WorkItem?> RevertAsync(string key)
    {
        if (!state.State.Items.TryGetValue(key, out var item) || item.Reverted)
        {
            return item;
        }

        var current = state.State;
        var fields = item.Field is not { } field
            ? current.Fields
            : item.PreviousValue is { } previous ? current.Fields.SetItem(field, previous) : current.Fields.Remove(field);
        var reverted = item with { Reverted = true };
        await WriteAsync(current with { Items = current.Items.SetItem(key, reverted), Fields = fields });
        return reverted;
    }

    public Task<WorkspaceView> GetAsync() =>
        Task.FromResult(new WorkspaceView([.. state.State.Items.Values.OrderBy(i => i.CreatedAt)], state.State.Fields));

    private Task WriteAsync(WorkspaceState next) => state.ReplaceAsync(next);
}
