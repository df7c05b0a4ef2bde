using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace Autonomy.Ledger;

/// <summary>
/// The one JSON setup of ledger payloads (and of anything that must read them back): camelCase properties,
/// enums as UPPER_SNAKE_CASE strings, no indentation, nulls omitted. The payload text is hashed, so
/// changing these options changes the bytes of every new entry; never change them in place.
/// </summary>
public static class LedgerJson
{
    /// <summary>The shared, read-only serializer options.</summary>
    public static JsonSerializerOptions Options { get; } = Create();

    /// <summary>Serializes a payload by its runtime type, so a derived payload keeps all its fields.</summary>
    public static string Serialize(object payload)
    {
        ArgumentNullException.ThrowIfNull(payload);
        return JsonSerializer.Serialize(payload, payload.GetType(), Options);
    }

    private static JsonSerializerOptions Create()
    {
        var options = new JsonSerializerOptions
        {
            PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
            DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
            WriteIndented = false,
            // The account stream's and the ranking's payloads come from generated metadata; anything else by reflection.
            TypeInfoResolver = JsonTypeInfoResolver.Combine(Accounts.AccountLedgerJson.Default, Learning.RankingLedgerJson.Default, new DefaultJsonTypeInfoResolver()),
        };
        options.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseUpper));
        options.MakeReadOnly();
        return options;
    }
}
