using System.Collections.Immutable;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Autonomy.Accounts;
using Autonomy.Actions;
using Autonomy.Common;

namespace Autonomy.Connectors;

/// <summary>What one pull brought: signals (ids prefixed with the connector's name), posture fields, and items it could not use.</summary>
public sealed record PulledData(ImmutableArray<SignalInput> Signals, JsonObject? Posture, int Dropped)
{
    public static readonly PulledData Nothing = new([], null, 0);

    /// <summary>The most signals one pull may bring (the rest is dropped and counted).</summary>
    public const int MaxSignals = 500;

    /// <summary>
    /// Maps a connector's JSON answer with <paramref name="mapping"/>. Pure. An item without an id or with a type that
    /// is not UPPER_SNAKE_CASE (after <see cref="ConnectorMapping.Types"/>) is dropped and counted, never guessed.
    /// </summary>
    public static PulledData Map(JsonNode? root, ConnectorMapping mapping, string connector)
    {
        ArgumentNullException.ThrowIfNull(mapping);
        var signals = ImmutableArray.CreateBuilder<SignalInput>();
        var dropped = 0;
        var items = mapping.Items is null ? null : Path(root, mapping.Items) as JsonArray;
        foreach (var item in items ?? [])
        {
            if (signals.Count >= MaxSignals || ToSignal(item, mapping, connector) is not { } signal)
            {
                dropped++;
                continue;
            }

            signals.Add(signal);
        }

        JsonObject? posture = null;
        foreach (var (field, path) in mapping.Posture)
        {
            if (Path(root, path) is JsonValue v && v.TryGetValue(out double d) && double.IsFinite(d))
            {
                posture ??= [];
                posture[field] = Math.Round(d, 6);
            }
        }

        return new PulledData(signals.ToImmutable(), posture, dropped);
    }

    private static SignalInput? ToSignal(JsonNode? item, ConnectorMapping m, string connector)
    {
        var rawId = Text(Path(item, m.Id));
        var rawType = Text(Path(item, m.Type));
        if (string.IsNullOrEmpty(rawId) || rawType is null)
        {
            return null;
        }

        var type = m.Types.GetValueOrDefault(rawType, rawType);
        if (!ActionCatalog.IsValidName(type))
        {
            return null;
        }

        double? value = m.Value is not null && Path(item, m.Value) is JsonValue jv && jv.TryGetValue(out double d) && double.IsFinite(d) ? Math.Clamp(d, 0, 1) : null;
        DateTimeOffset? at = m.OccurredAt is not null && Text(Path(item, m.OccurredAt)) is { } t
            && DateTimeOffset.TryParse(t, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed) ? parsed.ToUniversalTime() : null;
        var attributes = m.Attributes is not null && Path(item, m.Attributes) is JsonObject o ? ArgsDigest.Canonical(o) : null;
        if (attributes is not null && Encoding.UTF8.GetByteCount(attributes) > 16 * 1024)
        {
            attributes = null;
        }

        return new SignalInput(SignalId(connector, rawId), type, at, value, attributes);
    }

    /// <summary>
    /// <c>{connector}.{id}</c> when that is a valid signal id, otherwise the connector and a hash of the upstream id, so
    /// the same upstream item always gets the same id (pulls are idempotent) and two connectors never collide.
    /// </summary>
    public static string SignalId(string connector, string upstreamId)
    {
        var id = $"{connector}.{upstreamId}";
        return Ids.IsValidKey(id) ? id : $"{connector}.h{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(upstreamId)))[..40]}";
    }

    private static string? Text(JsonNode? node) => node switch
    {
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        JsonValue v when v.GetValueKind() == JsonValueKind.Number => v.ToJsonString(),
        _ => null,
    };

    /// <summary>Follows a dotted path (<c>a.b[2].c</c>, optional leading <c>$.</c>); null when any step is missing.</summary>
    public static JsonNode? Path(JsonNode? node, string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var p = path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : path == "$" ? "" : path;
        if (p.Length == 0)
        {
            return node;
        }

        foreach (var segment in p.Split('.'))
        {
            var bracket = segment.IndexOf('[', StringComparison.Ordinal);
            var name = bracket < 0 ? segment : segment[..bracket];
            if (name.Length > 0)
            {
                node = node is JsonObject o ? o[name] : null;
            }

            for (var rest = bracket < 0 ? "" : segment[bracket..]; rest.Length > 0;)
            {
                var close = rest.IndexOf(']', StringComparison.Ordinal);
                if (rest[0] != '[' || close < 0 || !int.TryParse(rest[1..close], NumberStyles.None, CultureInfo.InvariantCulture, out var index))
                {
                    return null;
                }

                node = node is JsonArray a && index < a.Count ? a[index] : null;
                rest = rest[(close + 1)..];
            }

            if (node is null)
            {
                return null;
            }
        }

        return node;
    }

    /// <summary>Whether <paramref name="path"/> is a path <see cref="Path"/> understands (for validation at PUT time).</summary>
    public static bool IsValidPath(string? path)
    {
        if (string.IsNullOrWhiteSpace(path) || path.Length > 200)
        {
            return false;
        }

        var p = path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : path;
        return p.Length > 0 && p.Split('.').All(segment =>
        {
            var bracket = segment.IndexOf('[', StringComparison.Ordinal);
            var name = bracket < 0 ? segment : segment[..bracket];
            if (name.Any(c => c is '[' or ']' or '$' or ' ') || (name.Length == 0 && bracket != 0))
            {
                return false;
            }

            var rest = bracket < 0 ? "" : segment[bracket..];
            while (rest.Length > 0)
            {
                var close = rest.IndexOf(']', StringComparison.Ordinal);
                if (rest[0] != '[' || close < 2 || !rest[1..close].All(char.IsAsciiDigit))
                {
                    return false;
                }

                rest = rest[(close + 1)..];
            }

            return true;
        });
    }
}
