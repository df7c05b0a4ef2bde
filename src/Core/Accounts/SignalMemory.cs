using System.Collections.Immutable;

namespace Autonomy.Accounts;

/// <summary>
/// The ids of the most recent signals, for idempotency: at most <c>capacity</c> ids, oldest forgotten first.
/// Each id is stored once (the order); the lookup set is rebuilt from it after a load and never serialized.
/// </summary>
[GenerateSerializer, Immutable, Alias("autonomy.SignalMemory")]
public sealed class SignalMemory
{
    public static readonly SignalMemory Empty = new(ImmutableQueue<string>.Empty, 0);

    [NonSerialized]
    private ImmutableHashSet<string>? _lookup;

    public SignalMemory(ImmutableQueue<string> order, int count)
    {
        Order = order;
        Count = count;
    }

    private SignalMemory(ImmutableQueue<string> order, int count, ImmutableHashSet<string> lookup)
        : this(order, count) => _lookup = lookup;

    /// <summary>The remembered ids, oldest first.</summary>
    [Id(0)]
    public ImmutableQueue<string> Order { get; }

    [Id(1)]
    public int Count { get; }

    private ImmutableHashSet<string> Lookup => _lookup ??= [.. Order];

    public bool Contains(string id) => Lookup.Contains(id);

    /// <summary>Remembers <paramref name="id"/>, forgetting the oldest ids beyond <paramref name="capacity"/>.</summary>
    public SignalMemory Remember(string id, int capacity)
    {
        if (Contains(id))
        {
            return this;
        }

        var order = Order.Enqueue(id);
        var lookup = Lookup.Add(id);
        var count = Count + 1;
        while (count > Math.Max(1, capacity))
        {
            order = order.Dequeue(out var oldest);
            lookup = lookup.Remove(oldest);
            count--;
        }

        return new SignalMemory(order, count, lookup);
    }
}
