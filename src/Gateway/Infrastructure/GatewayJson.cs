using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace Autonomy.Gateway.Infrastructure;

/// <summary>
/// The one JSON setup of the API: camelCase fields, enums as UPPER_SNAKE_CASE strings (AUTO_EXECUTE,
/// IDEA_EDITED…), dates "yyyy-MM-dd", times "HH:mm", and unknown fields rejected rather than ignored.
/// </summary>
public static class GatewayJson
{
    public static void Configure(JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.PropertyNamingPolicy = JsonNamingPolicy.CamelCase;
        options.PropertyNameCaseInsensitive = false;
        options.NumberHandling = JsonNumberHandling.Strict;
        // Unknown fields are refused by a typed exception naming the field (see RefuseUnknownFields): the error of
        // UnmappedMemberHandling.Disallow could only be told apart from others by its message text. Disallow stays
        // declared, so the OpenAPI document still says "additionalProperties": false.
        options.UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow;
        options.TypeInfoResolver = (options.TypeInfoResolver ?? new DefaultJsonTypeInfoResolver()).WithAddedModifier(RefuseUnknownFields);
        options.RespectNullableAnnotations = true;
        options.Converters.Add(new ContractEnumConverter());
        options.Converters.Add(new DateOnlyConverter());
        options.Converters.Add(new TimeOnlyConverter());
    }

    /// <summary>JSON text stored by a grain (parameters, posture, payloads) as a JSON value for the response.</summary>
    public static JsonNode? Node(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        try
        {
            return JsonNode.Parse(text);
        }
        catch (JsonException)
        {
            // Stored text that is not JSON still reaches the client, as a string, rather than failing the read.
            return JsonValue.Create(text);
        }
    }

    /// <summary>
    /// Gives every object contract without extension data a hidden one that throws <see cref="UnknownFieldException"/>
    /// for the first field the contract does not know. It is never written: its getter answers null when writing.
    /// </summary>
    private static void RefuseUnknownFields(JsonTypeInfo type)
    {
        if (type.Kind != JsonTypeInfoKind.Object || type.Properties.Any(p => p.IsExtensionData))
        {
            return;
        }

        var refuse = type.CreateJsonPropertyInfo(typeof(IDictionary<string, JsonElement>), "$unknown");
        refuse.IsExtensionData = true;
        refuse.Get = _ => RefusingFields.Instance;
        refuse.Set = (_, _) => { };
        refuse.ShouldSerialize = (_, _) => false;
        type.Properties.Add(refuse);
    }

    /// <summary>The extension data of a contract that has none: adding any field to it refuses the field.</summary>
    private sealed class RefusingFields : Dictionary<string, JsonElement>, IDictionary<string, JsonElement>
    {
        public static readonly RefusingFields Instance = new();

        JsonElement IDictionary<string, JsonElement>.this[string key]
        {
            get => throw new KeyNotFoundException(key);
            set => throw new UnknownFieldException(key);
        }

        void IDictionary<string, JsonElement>.Add(string key, JsonElement value) => throw new UnknownFieldException(key);
    }

    /// <summary>
    /// Enums are read and written exactly as the contract spells them (UPPER_SNAKE_CASE of the member name); a
    /// number, another casing or an unknown name is refused with the allowed spellings.
    /// </summary>
    private sealed class ContractEnumConverter : JsonConverterFactory
    {
        public override bool CanConvert(Type typeToConvert) => typeToConvert.IsEnum;

        public override JsonConverter CreateConverter(Type typeToConvert, JsonSerializerOptions options) =>
            (JsonConverter)Activator.CreateInstance(typeof(EnumConverter<>).MakeGenericType(typeToConvert))!;
    }

    private sealed class EnumConverter<T> : JsonConverter<T>
        where T : struct, Enum
    {
        private static readonly Dictionary<T, string> Names = Enum.GetValues<T>().ToDictionary(v => v, v => Autonomy.Common.WireName.Of(v));
        private static readonly Dictionary<string, T> Values = Names.ToDictionary(p => p.Value, p => p.Key, StringComparer.Ordinal);
        private static readonly string Allowed = "must be one of " + string.Join(", ", Names.Values) + ".";

        public override T Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            reader.TokenType == JsonTokenType.String && Values.TryGetValue(reader.GetString()!, out var value)
                ? value
                : throw new JsonContractException(Allowed);

        public override void Write(Utf8JsonWriter writer, T value, JsonSerializerOptions options) =>
            writer.WriteStringValue(Names.TryGetValue(value, out var name) ? name : Autonomy.Common.WireName.Of(value));
    }

    private sealed class DateOnlyConverter : JsonConverter<DateOnly>
    {
        private const string Format = "yyyy-MM-dd";

        public override DateOnly Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            reader.TokenType == JsonTokenType.String
            && DateOnly.TryParseExact(reader.GetString(), Format, CultureInfo.InvariantCulture, DateTimeStyles.None, out var date)
                ? date
                : throw new JsonContractException("must be a date as \"yyyy-MM-dd\".");

        public override void Write(Utf8JsonWriter writer, DateOnly value, JsonSerializerOptions options) =>
            writer.WriteStringValue(value.ToString(Format, CultureInfo.InvariantCulture));
    }

    private sealed class TimeOnlyConverter : JsonConverter<TimeOnly>
    {
        private const string Format = "HH:mm";

        public override TimeOnly Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            reader.TokenType == JsonTokenType.String
            && TimeOnly.TryParseExact(reader.GetString(), Format, CultureInfo.InvariantCulture, DateTimeStyles.None, out var time)
                ? time
                : throw new JsonContractException("must be a time of day as \"HH:mm\".");

        public override void Write(Utf8JsonWriter writer, TimeOnly value, JsonSerializerOptions options) =>
            writer.WriteStringValue(value.ToString(Format, CultureInfo.InvariantCulture));
    }
}

/// <summary>A field the contract does not know (its <see cref="JsonException.Path"/> ends in the field).</summary>
public sealed class UnknownFieldException(string field) : JsonException($"The field '{field}' is not part of this request.")
{
    public string Field { get; } = field;
}

/// <summary>A value the contract does not allow; the message says what is allowed (e.g. "must be one of ...").</summary>
public sealed class JsonContractException(string message) : JsonException(message);
