using System.Collections.Concurrent;
using Microsoft.AspNetCore.Authentication;

namespace Autonomy.Gateway.Auth;

/// <summary>
/// Bearer tokens the JWT handler has accepted, so a token an integration sends with every request is validated
/// (signature, issuer, audience, times, <see cref="TokenRules"/>) once per <see cref="MaxAge"/> instead of per request.
/// An entry holds the ticket (principal and claims) the handler built and lasts until the token's <c>exp</c> or <see cref="MaxAge"/>
/// after its validation, whichever comes first; it is tied to the validation parameters it was accepted under, so
/// a changed signing key, issuer or audience (new <c>TokenValidationParameters</c>) misses at once. Only accepted
/// tokens are added. At most <see cref="Capacity"/> entries: a full cache first drops expired ones, then half of
/// the rest. Lookups take the token as a span, so a hit allocates nothing here.
/// </summary>
public sealed class ValidatedTokenCache
{
    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Entry>.AlternateLookup<ReadOnlySpan<char>> _bySpan;
    private readonly TimeProvider _time;
    private readonly Lock _evicting = new();

    public ValidatedTokenCache(TimeProvider time, TimeSpan maxAge, int capacity)
    {
        ArgumentNullException.ThrowIfNull(time);
        _time = time;
        MaxAge = maxAge;
        Capacity = capacity;
        _bySpan = _entries.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    /// <summary>The longest an entry lasts after validation; zero or less turns the cache off.</summary>
    public TimeSpan MaxAge { get; }

    public int Capacity { get; }

    public int Count => _entries.Count;

    /// <summary>
    /// The ticket of an accepted <paramref name="token"/>, while its entry lasts and <paramref name="parameters"/> are
    /// the ones it was accepted under; null otherwise (a stale entry is dropped).
    /// </summary>
    public AuthenticationTicket? Find(ReadOnlySpan<char> token, object parameters)
    {
        if (!_bySpan.TryGetValue(token, out var entry))
        {
            return null;
        }

        if (ReferenceEquals(entry.Parameters, parameters) && _time.GetUtcNow() < entry.Until)
        {
            return entry.Ticket;
        }

        _bySpan.TryRemove(token, out _);
        return null;
    }

    /// <summary>Whether <paramref name="token"/> has an entry (for tests).</summary>
    public bool Contains(string token) => _entries.ContainsKey(token);

    /// <summary>Keeps an accepted token's ticket until <paramref name="expires"/> (the token's exp) or <see cref="MaxAge"/> from now.</summary>
    public void Add(string token, AuthenticationTicket ticket, DateTimeOffset expires, object parameters)
    {
        ArgumentNullException.ThrowIfNull(token);
        ArgumentNullException.ThrowIfNull(ticket);
        ArgumentNullException.ThrowIfNull(parameters);
        if (MaxAge <= TimeSpan.Zero || Capacity <= 0)
        {
            return;
        }

        var now = _time.GetUtcNow();
        var until = now + MaxAge < expires ? now + MaxAge : expires;
        if (until <= now)
        {
            return;
        }

        if (_entries.Count >= Capacity)
        {
            Evict(now);
        }

        _entries[token] = new Entry(ticket, until, parameters);
    }

    private void Evict(DateTimeOffset now)
    {
        lock (_evicting)
        {
            if (_entries.Count < Capacity)
            {
                return;
            }

            foreach (var (key, entry) in _entries)
            {
                if (entry.Until <= now)
                {
                    _entries.TryRemove(key, out _);
                }
            }

            var excess = _entries.Count - (Capacity / 2);
            foreach (var key in _entries.Keys)
            {
                if (excess-- <= 0)
                {
                    break;
                }

                _entries.TryRemove(key, out _);
            }
        }
    }

    private sealed record Entry(AuthenticationTicket Ticket, DateTimeOffset Until, object Parameters);
}
