using System.Collections.Immutable;

namespace Autonomy.Actions;

public enum RiskLevel
{
    Low,
    Medium,
    High,
}

/// <summary>
/// What the policy needs to know about an action type, whoever defined it, and the tenant's JSON schema for its
/// parameters (<see cref="ParametersSchema"/>, canonical text; null: a built-in's default, or none for a tenant's type).
/// </summary>
[GenerateSerializer, Immutable, Alias("autonomy.ActionTypeSpec")]
public sealed record ActionTypeSpec(
    [property: Id(0)] string ActionType,
    [property: Id(1)] RiskLevel RiskLevel,
    [property: Id(2)] bool ExternalContact,
    [property: Id(3)] bool AllowListed,
    [property: Id(4)] bool Revertible,
    [property: Id(5)] bool BuiltIn = false,
    [property: Id(6)] string? ParametersSchema = null);

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
    public static bool IsValidName([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] string? actionType)
    {
        if (actionType is not { Length: >= 2 and <= 64 } || actionType[0] is not (>= 'A' and <= 'Z'))
        {
            return false;
        }

        foreach (var c in actionType)
        {
            if (c is not ((>= 'A' and <= 'Z') or (>= '0' and <= '9') or '_'))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The schema an action type's parameters must meet: the tenant's own, else a built-in's default; null for none.</summary>
    public static string? SchemaOf(ActionTypeSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return spec.ParametersSchema ?? (spec.BuiltIn ? DefaultSchemas.GetValueOrDefault(spec.ActionType) : null);
    }

    /// <summary>
    /// Checks a proposal's parameters (JSON text) against its type's schema: null when they conform (or the type has
    /// none), else what is wrong. No engine path reaches the policy with parameters that fail this.
    /// </summary>
    public static string? CheckParameters(ActionTypeSpec spec, string parameters)
    {
        if (SchemaOf(spec) is not { } text)
        {
            return null;
        }

        if (Compiled.Count >= MaxCompiledSchemas)
        {
            Compiled.Clear();
        }

        var schema = Compiled.GetOrAdd(text, t => ParameterSchema.Parse(t, out _));
        return schema is null ? "the action type's parameters schema cannot be read; nothing is taken until it is set again." : schema.Validate(parameters);
    }

    private const int MaxCompiledSchemas = 4096;

    /// <summary>Schemas read once per text, at most <see cref="MaxCompiledSchemas"/> (then read afresh).</summary>
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, ParameterSchema?> Compiled = new(StringComparer.Ordinal);

    /// <summary>
    /// The built-ins' default schemas: the parameters the internal executor and the documented webhook receivers use,
    /// with lengths bounded, and nothing else (<c>additionalProperties: false</c>). A tenant may replace one with its own.
    /// </summary>
    public static readonly ImmutableDictionary<string, string> DefaultSchemas = new Dictionary<string, string>
    {
        ["CREATE_TASK"] = """
            {"type":"object","additionalProperties":false,"properties":{
              "title":{"type":"string","minLength":1,"maxLength":200},"description":{"type":"string","maxLength":4000},
              "due":{"type":"string","maxLength":64},"dueInDays":{"type":"integer","minimum":0,"maximum":365},"priority":{"type":"string","enum":["low","normal","high"]}}}
            """,
        ["LOG_NOTE"] = """
            {"type":"object","additionalProperties":false,"properties":{
              "title":{"type":"string","maxLength":200},"text":{"type":"string","maxLength":4000}}}
            """,
        ["UPDATE_CRM_FIELD"] = """
            {"type":"object","additionalProperties":false,"required":["field","value"],"properties":{
              "field":{"type":"string","maxLength":100,"pattern":"^[A-Za-z][A-Za-z0-9_.]*$"},
              "value":{"description":"a string, number or boolean"}}}
            """,
        ["DRAFT_EMAIL"] = """
            {"type":"object","additionalProperties":false,"properties":{
              "template":{"type":"string","maxLength":64,"pattern":"^[a-z0-9][a-z0-9_-]*$"},
              "subject":{"type":"string","maxLength":200},"body":{"type":"string","maxLength":8000},
              "cc":{"type":"array","maxItems":5,"items":{"type":"string","minLength":1,"maxLength":200}}}}
            """,
        ["ESCALATE_TO_MANAGER"] = """
            {"type":"object","additionalProperties":false,"properties":{
              "reason":{"type":"string","maxLength":2000},"urgency":{"type":"string","enum":["low","normal","high"]}}}
            """,
        ["SEND_EMAIL"] = """
            {"type":"object","additionalProperties":false,"properties":{
              "template":{"type":"string","maxLength":64,"pattern":"^[a-z0-9][a-z0-9_-]*$"},
              "subject":{"type":"string","maxLength":200},"body":{"type":"string","maxLength":8000},
              "cc":{"type":"array","maxItems":5,"items":{"type":"string","minLength":1,"maxLength":200}}}}
            """,
        ["REQUEST_MEETING"] = """
            {"type":"object","additionalProperties":false,"properties":{
              "template":{"type":"string","maxLength":64,"pattern":"^[a-z0-9][a-z0-9_-]*$"},
              "subject":{"type":"string","maxLength":200},"durationMinutes":{"type":"integer","minimum":15,"maximum":240},
              "note":{"type":"string","maxLength":2000}}}
            """,
        ["UPDATE_OPPORTUNITY_STAGE"] = """
            {"type":"object","additionalProperties":false,"required":["stage"],"properties":{
              "opportunityId":{"type":"string","maxLength":200},"stage":{"type":"string","minLength":1,"maxLength":100}}}
            """,
        ["APPLY_DISCOUNT"] = """
            {"type":"object","additionalProperties":false,"required":["percent"],"properties":{
              "percent":{"type":"number","minimum":0,"maximum":100},"reason":{"type":"string","maxLength":2000},
              "opportunityId":{"type":"string","maxLength":200}}}
            """,
    }.ToImmutableDictionary(p => p.Key, p => ParameterSchema.Parse(p.Value, out _)!.Canonical, StringComparer.Ordinal);

    private static ActionTypeSpec Stricter(ActionTypeSpec builtIn, ActionTypeSpec requested) => builtIn with
    {
        ParametersSchema = requested.ParametersSchema,
        RiskLevel = (RiskLevel)Math.Max((int)builtIn.RiskLevel, (int)requested.RiskLevel),
        ExternalContact = builtIn.ExternalContact || requested.ExternalContact,
        AllowListed = builtIn.AllowListed && requested.AllowListed,
        Revertible = builtIn.Revertible && requested.Revertible,
    };
}
