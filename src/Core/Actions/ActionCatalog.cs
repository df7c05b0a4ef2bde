using System.Collections.Immutable;

namespace Autonomy.Actions;

public enum RiskLevel
{
    Low,
    Medium,
    High,
}

/// <summary>What the policy needs to know about an action type, whoever defined it.</summary>
[GenerateSerializer, Immutable, Alias("autonomy.ActionTypeSpec")]
public sealed record ActionTypeSpec(
    [property: Id(0)] string ActionType,
    [property: Id(1)] RiskLevel RiskLevel,
    [property: Id(2)] bool ExternalContact,
    [property: Id(3)] bool AllowListed,
    [property: Id(4)] bool Revertible,
    [property: Id(5)] bool BuiltIn = false);

/// <summary>
/// The built-in action types and the rules for tenant additions. A tenant may add types and may make a
/// built-in stricter, never looser: a built-in's risk can only rise, external contact can only be added,
/// and allow-listing can only be withdrawn. That keeps principle 2 out of any tenant's reach.
/// </summary>
public static class ActionCatalog
{
    public static readonly ImmutableDictionary<string, ActionTypeSpec> BuiltIns = new[]
    {
        new ActionTypeSpec("CREATE_TASK", RiskLevel.Low, ExternalContact: false, AllowListed: true, Revertible: true, BuiltIn: true),
        new ActionTypeSpec("LOG_NOTE", RiskLevel.Low, ExternalContact: false, AllowListed: true, Revertible: true, BuiltIn: true),
        new ActionTypeSpec("UPDATE_CRM_FIELD", RiskLevel.Low, ExternalContact: false, AllowListed: true, Revertible: true, BuiltIn: true),
        new ActionTypeSpec("DRAFT_EMAIL", RiskLevel.Low, ExternalContact: false, AllowListed: true, Revertible: true, BuiltIn: true),
        new ActionTypeSpec("ESCALATE_TO_MANAGER", RiskLevel.Medium, ExternalContact: false, AllowListed: false, Revertible: false, BuiltIn: true),
        new ActionTypeSpec("SEND_EMAIL", RiskLevel.Medium, ExternalContact: true, AllowListed: false, Revertible: false, BuiltIn: true),
        new ActionTypeSpec("REQUEST_MEETING", RiskLevel.Medium, ExternalContact: true, AllowListed: false, Revertible: false, BuiltIn: true),
        new ActionTypeSpec("UPDATE_OPPORTUNITY_STAGE", RiskLevel.Medium, ExternalContact: false, AllowListed: false, Revertible: true, BuiltIn: true),
        new ActionTypeSpec("APPLY_DISCOUNT", RiskLevel.High, ExternalContact: false, AllowListed: false, Revertible: false, BuiltIn: true),
    }.ToImmutableDictionary(s => s.ActionType, StringComparer.Ordinal);

    /// <summary>The tenant's effective catalog: built-ins with the tenant's (stricter) overrides and additions.</summary>
    public static ImmutableDictionary<string, ActionTypeSpec> Effective(IReadOnlyDictionary<string, ActionTypeSpec> tenantTypes)
    {
        var result = BuiltIns.ToBuilder();
        foreach (var (type, spec) in tenantTypes)
        {
            result[type] = BuiltIns.TryGetValue(type, out var builtIn) ? Stricter(builtIn, spec) : spec with { BuiltIn = false };
        }

        return result.ToImmutable();
    }

    /// <summary>Looks a type up in the tenant's effective catalog; null for an unknown type.</summary>
    public static ActionTypeSpec? Find(IReadOnlyDictionary<string, ActionTypeSpec> tenantTypes, string actionType) =>
        tenantTypes.TryGetValue(actionType, out var spec)
            ? BuiltIns.TryGetValue(actionType, out var builtIn) ? Stricter(builtIn, spec) : spec with { BuiltIn = false }
            : BuiltIns.GetValueOrDefault(actionType);

    /// <summary>Action type names are UPPER_SNAKE_CASE, 2 to 64 characters.</summary>
    public static bool IsValidName(string? actionType) =>
        actionType is { Length: >= 2 and <= 64 }
        && actionType.All(c => c is (>= 'A' and <= 'Z') or (>= '0' and <= '9') or '_')
        && actionType[0] is >= 'A' and <= 'Z';

    private static ActionTypeSpec Stricter(ActionTypeSpec builtIn, ActionTypeSpec requested) => builtIn with
    {
        RiskLevel = (RiskLevel)Math.Max((int)builtIn.RiskLevel, (int)requested.RiskLevel),
        ExternalContact = builtIn.ExternalContact || requested.ExternalContact,
        AllowListed = builtIn.AllowListed && requested.AllowListed,
        Revertible = builtIn.Revertible && requested.Revertible,
    };
}
