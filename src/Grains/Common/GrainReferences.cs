namespace Autonomy.Common;

/// <summary>
/// Grain references by string key without Orleans' per-call reflection: <c>GetGrain&lt;T&gt;(key)</c> resolves the grain
/// interface's type from its custom attributes and type name on every call (a profile of new accounts found it at a few
/// percent of the CPU); here that happens once per interface and each reference is made from the resolved types.
/// </summary>
public static class GrainReferences
{
    /// <summary>The grain of interface <typeparamref name="T"/> with the string key <paramref name="key"/>: the same reference <c>GetGrain&lt;T&gt;(key)</c> gives.</summary>
    public static T ByKey<T>(this IGrainFactory grains, string key) where T : IGrainWithStringKey
    {
        ArgumentNullException.ThrowIfNull(grains);
        ArgumentNullException.ThrowIfNull(key);
        var (type, face) = Resolved<T>.Types ??= Resolve<T>(grains, key);
        return (T)grains.GetGrain(GrainId.Create(type, key), face);
    }

    private static (GrainType, GrainInterfaceType) Resolve<T>(IGrainFactory grains, string key) where T : IGrainWithStringKey
    {
        var probe = (GrainReference)(object)grains.GetGrain<T>(key);
        return (probe.GrainId.Type, probe.InterfaceType);
    }

    /// <summary>The grain type and interface type of <typeparamref name="T"/>, once known (the same in every silo and client).</summary>
    private static class Resolved<T>
    {
        public static (GrainType, GrainInterfaceType)? Types;
    }
}
