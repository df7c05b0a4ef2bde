using System.Collections.Immutable;

namespace Autonomy.Accounts;

/// <summary>
/// The ids of the most recent signals, for idempotency: at most <c>capacity</c> ids, oldest forgotten first.
/// Each id is stored once (the order); a memory of a few ids is searched in order, a larger one through a lookup set
/// that is rebuilt from the order after a load and never serialized (so an account with few signals keeps no set).
/// </summary>
[GenerateSerializer, Immutable, Alias("autonomy.SignalMemory")]
public sealed class SignalMemory
{
    public static readonly SignalMemory Empty = new(ImmutableQueue<string>.Empty, 0);

    /// <summary>Up to this many ids are searched in order, without a lookup set.</summary>
    private const int ScanLimit = 16;

    [NonSerialized]
    private ImmutableHashSet<string>? _lookup;

    public SignalMemory(ImmutableQueue<string> order, int count)
    {
        Order = order;
        Count = count;
    }

    private SignalMemory(ImmutableQueue<string> order, int count, ImmutableHashSet<string>? lookup)
        : this(order, count) => _lookup = lookup;

    /// <summary>The remembered ids, oldest first.</summary>
    [Id(0)]
    public ImmutableQueue<string> Order { get; }

    [Id(1)]
    public int Count { get; }

    private ImmutableHashSet<string> Lookup => _lookup ??= [.. Order];

    public bool Contains(string id)
    {
        if (Count > ScanLimit) return Lookup.Contains(id);
        foreach (var known in Order)
        {
            if (string.Equals(known, id, StringComparison.Ordinal)) return true;
        }

        return false;
    }

    /// <summary>Remembers <paramref name="id"/>, forgetting the oldest ids beyond <paramref name="capacity"/>.</summary>
    public SignalMemory Remember(string id, int capacity)
    {
        if (Contains(id))
        {
            return this;
        }

        var order = Order.Enqueue(id);
        var count = Count + 1;
        var lookup = count > ScanLimit ? Lookup.Add(id) : null;
        while (count > Math.Max(1, capacity))
        {
            order = order.Dequeue(out var oldest);
            lookup = lookup?.Remove(oldest);
            count--;
        }

        return new SignalMemory(order, count, lookup);
    }
}
