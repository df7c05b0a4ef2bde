using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Autonomy.Actions;
using Autonomy.Common;
using Autonomy.Gateway.Apis;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Autonomy.Gateway.Infrastructure;

/// <summary>
/// Collects what is wrong with a request, keyed by the JSON field name ("mode", "signals[3].id"), so a handler
/// validates everything before it calls a grain and a rejected request changes nothing.
/// </summary>
public sealed class Validation
{
    public const string Title = "The request is invalid.";

    // Made on the first error: a valid request (the usual one) allocates none.
    private Dictionary<string, List<string>>? _errors;

    public bool IsValid => _errors is null;

    public void Add(string field, string message)
    {
        _errors ??= new(StringComparer.Ordinal);
        if (!_errors.TryGetValue(field, out var messages))
        {
            _errors[field] = messages = [];
        }

        messages.Add(message);
    }

    /// <summary>Records a missing value; returns it (default when missing) so the caller can go on checking.</summary>
    public T Required<T>(T? value, string field)
        where T : struct
    {
        if (value is null)
        {
            Add(field, $"{field} is required.");
        }

        return value.GetValueOrDefault();
    }

    public T Required<T>(T? value, string field)
        where T : class
    {
        if (value is null)
        {
            Add(field, $"{field} is required.");
        }

        return value!;
    }

    /// <summary>Tenant, account, seller, signal and run ids.</summary>
    public bool Key(string? id, string field, bool required = true)
    {
        if (id is null)
        {
            if (required)
            {
                Add(field, $"{field} is required.");
            }

            return !required;
        }

        if (!Ids.IsValidKey(id))
        {
            Add(field, $"{field} must be 1 to 128 letters, digits, '.', '_' or '-', and not only dots.");
            return false;
        }

        return true;
    }

    /// <summary>Action types, signal types and lifecycles: UPPER_SNAKE_CASE, 2 to 64 characters.</summary>
    public bool Name(string? name, string field, bool required = true)
    {
        if (name is null)
        {
            if (required)
            {
                Add(field, $"{field} is required.");
            }

            return !required;
        }

        if (!ActionCatalog.IsValidName(name))
        {
            Add(field, $"{field} must be UPPER_SNAKE_CASE, 2 to 64 characters (e.g. CREATE_TASK).");
            return false;
        }

        return true;
    }

    public void Range(double? value, string field, double min, double max)
    {
        if (value is { } v && !(v >= min && v <= max))
        {
            Add(field, string.Create(CultureInfo.InvariantCulture, $"{field} must be between {min} and {max}."));
        }
    }

    public void Range(long? value, string field, long min, long max)
    {
        if (value is { } v && (v < min || v > max))
        {
            Add(field, string.Create(CultureInfo.InvariantCulture, $"{field} must be between {min} and {max}."));
        }
    }

    public void MaxLength(string? value, string field, int max)
    {
        if (value is not null && value.Length > max)
        {
            Add(field, string.Create(CultureInfo.InvariantCulture, $"{field} must be at most {max} characters."));
        }
    }

    /// <summary>
    /// An outgoing call's URL: absolute http or https, not aimed at a private network unless the operator allows it,
    /// and https when the call carries a secret or a signature (<paramref name="carriesSecret"/>: every webhook, a
    /// connector with a secret, a chat engine with a key) unless private networks are allowed, for development.
    /// </summary>
    public void WebhookUrl(string? value, string field, bool allowPrivateNetworks, bool carriesSecret = true)
    {
        if (value is not null && WebhookAddressRule.Check(value, allowPrivateNetworks, carriesSecret) is { } problem)
        {
            Add(field, $"{field} {problem}");
        }
    }

    /// <summary>
    /// A page size from the query string, the same rule for every list (<see cref="Lists"/>): absent is the default,
    /// above the maximum is clamped to it, and 0, a negative or a non-number names <c>limit</c>.
    /// </summary>
    public int Limit(string? text)
    {
        if (text is null)
        {
            return Lists.DefaultLimit;
        }

        if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var limit) && limit >= 1)
        {
            return (int)Math.Min(limit, Lists.MaxLimit);
        }

        // A huge number of digits is still a request for "as many as allowed".
        if (text.Length > 0 && text.All(char.IsAsciiDigit) && text.Any(c => c != '0'))
        {
            return Lists.MaxLimit;
        }

        Add("limit", string.Create(CultureInfo.InvariantCulture, $"limit must be a whole number from 1 (larger values are clamped to {Lists.MaxLimit})."));
        return Lists.DefaultLimit;
    }

    /// <summary>The limit and offset cursor of a list the gateway holds whole (<see cref="ListPage"/>).</summary>
    public ListPage Page(string? limit, string? cursor) => new(Limit(limit), OffsetCursor(cursor));

    /// <summary>An offset cursor (the gateway's lists, a seller's queue and timeline): absent is 0, anything but a whole number names <c>cursor</c>.</summary>
    public int OffsetCursor(string? cursor)
    {
        if (cursor is null)
        {
            return 0;
        }

        if (int.TryParse(cursor, NumberStyles.None, CultureInfo.InvariantCulture, out var offset))
        {
            return offset;
        }

        Add("cursor", "cursor must be the nextCursor of a previous page.");
        return 0;
    }

    /// <summary>A ledger cursor: absent, or the nextCursor of a previous ledger page; anything else names <c>cursor</c>, never reaching the store.</summary>
    public void LedgerPageCursor(string? cursor)
    {
        if (!Autonomy.Ledger.LedgerPaging.TryDecode(cursor, out _))
        {
            Add("cursor", "cursor must be the nextCursor of a previous ledger page.");
        }
    }

    /// <summary>A list of action types or lifecycles (at most 200), each checked; duplicates dropped.</summary>
    public ImmutableArray<string> Names(IReadOnlyList<string>? names, string field)
    {
        if (names is null)
        {
            return [];
        }

        if (names.Count > 200)
        {
            Add(field, $"{field} may list at most 200 names.");
        }

        for (var i = 0; i < names.Count; i++)
        {
            Name(names[i], $"{field}[{i}]");
        }

        return names.Distinct(StringComparer.Ordinal).ToImmutableArray();
    }

    /// <summary>The most a free-form JSON field (posture, signal attributes, action parameters) may hold, as compact UTF-8.</summary>
    public const int MaxFreeJsonBytes = 16 * 1024;

    /// <summary>The deepest a free-form JSON field may nest: <c>{"a":{"b":1}}</c> is depth 2.</summary>
    public const int MaxFreeJsonDepth = 8;

    /// <summary>
    /// A free-form JSON object within <see cref="MaxFreeJsonBytes"/> and <see cref="MaxFreeJsonDepth"/>; returns its
    /// canonical text (what grains store and digest), or null when absent or too big.
    /// </summary>
    public string? FreeJson(JsonObject? value, string field)
    {
        if (value is null)
        {
            return null;
        }

        if (Depth(value) > MaxFreeJsonDepth)
        {
            Add(field, string.Create(CultureInfo.InvariantCulture, $"{field} may nest at most {MaxFreeJsonDepth} levels of objects and arrays."));
            return null;
        }

        var text = ArgsDigest.Canonical(value);
        if (Encoding.UTF8.GetByteCount(text) > MaxFreeJsonBytes)
        {
            Add(field, string.Create(CultureInfo.InvariantCulture, $"{field} must be at most {MaxFreeJsonBytes} bytes of JSON ({MaxFreeJsonBytes / 1024} KiB); keep large documents upstream and send a reference."));
            return null;
        }

        return text;
    }

    /// <summary>A date from the query string, "yyyy-MM-dd".</summary>
    public DateOnly? Date(string? text, string field)
    {
        if (text is null)
        {
            return null;
        }

        if (DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
        {
            return date;
        }

        Add(field, $"{field} must be a date as yyyy-MM-dd.");
        return null;
    }

    /// <summary>An instant from the query string, ISO-8601 with an offset or Z.</summary>
    public DateTimeOffset? Instant(string? text, string field)
    {
        if (text is null)
        {
            return null;
        }

        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at))
        {
            return at.ToUniversalTime();
        }

        Add(field, $"{field} must be an ISO-8601 time, e.g. 2026-01-31T08:00:00Z.");
        return null;
    }

    private static int Depth(JsonNode? node) => node switch
    {
        JsonObject o => 1 + o.Select(p => Depth(p.Value)).DefaultIfEmpty(0).Max(),
        JsonArray a => 1 + a.Select(Depth).DefaultIfEmpty(0).Max(),
        _ => 0,
    };

    public ValidationProblem Problem() => TypedResults.ValidationProblem(Errors(), detail: Detail(), title: Title);

    public IDictionary<string, string[]> Errors() => (_errors ?? []).ToDictionary(e => e.Key, e => e.Value.ToArray(), StringComparer.Ordinal);

    private string Detail() =>
        _errors is null ? "" : _errors.Count == 1
            ? _errors.First().Value[0]
            : $"Fix these fields: {string.Join(", ", _errors.Keys)}. {_errors.First().Value[0]}";
}
