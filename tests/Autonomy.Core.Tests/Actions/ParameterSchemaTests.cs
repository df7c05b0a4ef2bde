using System.Diagnostics;
using System.Text.Json.Nodes;
using Autonomy.Actions;
using CsCheck;

namespace Autonomy.Tests.Actions;

/// <summary>The parameters schema subset: what it accepts, what it refuses, and that it never throws or runs away.</summary>
public class ParameterSchemaTests
{
    /// <summary>A generated schema with a value that meets it.</summary>
    private sealed record Case(JsonObject Schema, JsonNode? Value);

    private static readonly Gen<string> Text = Gen.String[Gen.Char.AlphaNumeric, 0, 12];

    private static readonly Gen<Case> StringCase =
        Gen.Select(Text, Gen.Int[0, 5], Gen.Bool, Gen.Bool, Gen.Bool).Select((value, slack, bounded, enumerated, patterned) =>
        {
            var schema = new JsonObject { ["type"] = "string" };
            if (bounded)
            {
                schema["maxLength"] = value.Length + slack;
                schema["minLength"] = Math.Max(0, value.Length - slack);
            }

            if (enumerated)
            {
                schema["enum"] = new JsonArray(value, value + "x", "other");
            }

            if (patterned)
            {
                schema["pattern"] = "^[A-Za-z0-9]*$";
            }

            return new Case(schema, value);
        });

    private static readonly Gen<Case> NumberCase =
        Gen.Select(Gen.Int[-1_000_000, 1_000_000], Gen.Int[0, 100], Gen.Bool, Gen.Bool).Select((value, slack, integer, bounded) =>
        {
            var schema = new JsonObject { ["type"] = integer ? "integer" : "number" };
            if (bounded)
            {
                schema["minimum"] = value - slack;
                schema["maximum"] = value + slack + 1;
            }

            return new Case(schema, integer ? JsonValue.Create(value) : JsonValue.Create(value + 0.5));
        });

    private static readonly Gen<Case> BooleanCase = Gen.Bool.Select(b => new Case(new JsonObject { ["type"] = "boolean" }, JsonValue.Create(b)));

    private static readonly Gen<Case> AnyCase = Gen.OneOf<JsonNode?>(Text.Select(t => (JsonNode?)t), Gen.Int.Select(i => (JsonNode?)i), Gen.Const((JsonNode?)null))
        .Select(v => new Case(new JsonObject { ["description"] = "anything" }, v));

    private static readonly Gen<Case> Leaf = Gen.OneOf(StringCase, NumberCase, BooleanCase, AnyCase);

    private static Gen<Case> ObjectCase(int depth) =>
        Gen.Select(
            Gen.OneOf(depth > 1 ? Gen.OneOf(Leaf, Leaf, Leaf, ObjectCase(depth - 1)) : Leaf, SimpleArray).Array[0, 5],
            Gen.Bool, Gen.Int[0, 1 << 5], Gen.Int[0, 1 << 5]).Select((properties, closed, requiredMask, presentMask) =>
        {
            var props = new JsonObject();
            var value = new JsonObject();
            var required = new JsonArray();
            for (var i = 0; i < properties.Length; i++)
            {
                var name = $"p{i}";
                props[name] = properties[i].Schema.DeepClone();
                var isRequired = (requiredMask & (1 << i)) != 0;
                if (isRequired)
                {
                    required.Add(name);
                }

                if (isRequired || (presentMask & (1 << i)) != 0)
                {
                    value[name] = properties[i].Value?.DeepClone();
                }
            }

            var schema = new JsonObject { ["type"] = "object", ["properties"] = props, ["additionalProperties"] = !closed };
            if (required.Count > 0)
            {
                schema["required"] = required;
            }

            return new Case(schema, value);
        });

    private static readonly Gen<Case> SimpleArray =
        Gen.Select(Gen.Int[0, 4], Gen.Int[0, 3], Text.Array[0, 4]).Select((_, slack, items) => new Case(
            new JsonObject { ["type"] = "array", ["maxItems"] = items.Length + slack, ["items"] = new JsonObject { ["type"] = "string", ["maxLength"] = 12 } },
            new JsonArray([.. items.Select(i => (JsonNode?)i)])));

    private static readonly Gen<Case> Root = ObjectCase(3);

    /// <summary>Arbitrary JSON, for what must never throw.</summary>
    private static Gen<JsonNode?> AnyJson(int depth) => depth == 0
        ? Gen.OneOf<JsonNode?>(Text.Select(t => (JsonNode?)t), Gen.Double.Select(d => (JsonNode?)(double.IsFinite(d) ? d : 0)), Gen.Bool.Select(b => (JsonNode?)b), Gen.Const((JsonNode?)null))
        : Gen.OneOf(
            AnyJson(0),
            AnyJson(depth - 1).Array[0, 4].Select(a => (JsonNode?)new JsonArray([.. a.Select(x => x?.DeepClone())])),
            Gen.Select(Gen.OneOf(Gen.Const("type"), Gen.Const("properties"), Gen.Const("p0"), Gen.Const("required"), Gen.Const("enum"), Gen.Const("maxLength"), Gen.Const("pattern"), Gen.Const("items"), Text), AnyJson(depth - 1)).Array[0, 5]
                .Select(ps =>
                {
                    var o = new JsonObject();
                    foreach (var (k, v) in ps)
                    {
                        o[k] = v?.DeepClone();
                    }

                    return (JsonNode?)o;
                }));

    private static ParameterSchema Parsed(JsonObject schema) =>
        ParameterSchema.Parse(schema, out var error) ?? throw new InvalidOperationException($"{error}: {schema.ToJsonString()}");

    [Fact]
    public void EveryValueBuiltToASchemaMeetsIt() =>
        Root.Sample(c => Assert.Null(Parsed(c.Schema).Validate(c.Value)), iter: 3_000);

    [Fact]
    public void TheCanonicalTextReadsBackToTheSameSchema() =>
        Root.Sample(c =>
        {
            var schema = Parsed(c.Schema);
            var again = ParameterSchema.Parse(schema.Canonical, out _);
            Assert.Equal(schema.Canonical, again!.Canonical);
            Assert.Equal(schema.Validate(c.Value), again.Validate(c.Value));
        }, iter: 1_000);

    [Fact]
    public void AClosedObjectRefusesAnyParameterItDoesNotName() =>
        Gen.Select(Root, Text).Sample((c, extra) =>
        {
            c.Schema["additionalProperties"] = false;
            var value = c.Value!.AsObject();
            value["x_" + extra] = "smuggled";
            Assert.Contains("is not a parameter", Parsed(c.Schema).Validate(value), StringComparison.Ordinal);
        }, iter: 2_000);

    [Fact]
    public void ARequiredParameterLeftOutIsRefused() =>
        Root.Where(c => c.Schema["required"] is JsonArray { Count: > 0 }).Sample(c =>
        {
            var name = c.Schema["required"]![0]!.GetValue<string>();
            c.Value!.AsObject().Remove(name);
            Assert.Equal($"parameters.{name} is required.", Parsed(c.Schema).Validate(c.Value));
        }, iter: 2_000);

    [Fact]
    public void AValueOfAnotherTypeIsRefused() =>
        Gen.Select(Leaf.Where(c => c.Schema["type"] is not null), Gen.Int[0, 3]).Sample((leaf, other) =>
        {
            var schema = new JsonObject { ["type"] = "object", ["properties"] = new JsonObject { ["v"] = leaf.Schema }, ["required"] = new JsonArray("v") };
            var type = leaf.Schema["type"]!.GetValue<string>();
            JsonNode?[] wrong = [JsonValue.Create("text"), JsonValue.Create(true), new JsonObject(), new JsonArray()];
            var candidate = wrong[other];
            var sameKind = (type, candidate) switch
            {
                ("string", JsonValue v) => v.GetValueKind() == System.Text.Json.JsonValueKind.String,
                ("boolean", JsonValue v) => v.GetValueKind() is System.Text.Json.JsonValueKind.True or System.Text.Json.JsonValueKind.False,
                _ => false,
            };
            if (!sameKind)
            {
                Assert.NotNull(Parsed(schema).Validate(new JsonObject { ["v"] = candidate }));
            }
        }, iter: 2_000);

    [Fact]
    public void AStringBeyondItsLengthOrANumberBeyondItsBoundIsRefused() =>
        Gen.Select(Text, Gen.Int[0, 20], Gen.Int[-1000, 1000], Gen.Int[1, 50]).Sample((text, max, number, over) =>
        {
            var schema = Parsed(new JsonObject
            {
                ["type"] = "object",
                ["properties"] = new JsonObject
                {
                    ["s"] = new JsonObject { ["type"] = "string", ["maxLength"] = max },
                    ["n"] = new JsonObject { ["type"] = "number", ["minimum"] = number, ["maximum"] = number + 10 },
                },
            });
            var longer = text + new string('z', Math.Max(0, max + 1 - text.Length));
            Assert.NotNull(schema.Validate(new JsonObject { ["s"] = longer }));
            Assert.NotNull(schema.Validate(new JsonObject { ["n"] = number + 10 + over }));
            Assert.NotNull(schema.Validate(new JsonObject { ["n"] = number - over }));
            Assert.Null(schema.Validate(new JsonObject { ["n"] = number + 5 }));
        });

    [Fact]
    public void ValidationNeverThrowsOnAnyJson() =>
        Gen.Select(Root, AnyJson(3)).Sample((c, value) => Parsed(c.Schema).Validate(value), iter: 3_000);

    [Fact]
    public void ReadingAnySchemaNeverThrows() =>
        AnyJson(4).Sample(node =>
        {
            var schema = ParameterSchema.Parse(node, out var error);
            Assert.True(schema is null ^ error is null);
        }, iter: 5_000);

    [Theory]
    [InlineData("""{"type":"object","oneOf":[]}""", "\"oneOf\" is not supported")]
    [InlineData("""{"type":"object","$ref":"#/x"}""", "\"$ref\" is not supported")]
    [InlineData("""{"type":"object","patternProperties":{}}""", "\"patternProperties\" is not supported")]
    [InlineData("""{"type":"object","additionalProperties":{"type":"string"}}""", "additionalProperties must be true or false")]
    [InlineData("""{"type":"string"}""", "root must have \"type\":\"object\"")]
    [InlineData("""{"type":["object","null"]}""", "type must be one of")]
    [InlineData("""{"type":"object","properties":{"a":{"type":"string","minimum":1}}}""", "\"minimum\" does not apply to type string")]
    [InlineData("""{"type":"object","required":["a"]}""", "required must be an array of names listed in properties")]
    [InlineData("""{"type":"object","properties":{"a":{"type":"string","pattern":"(a)\\1"}}}""", "pattern is not a regular expression this subset runs")]
    [InlineData("""{"type":"object","properties":{"a":{"type":"string","pattern":"(?=a)a"}}}""", "pattern is not a regular expression this subset runs")]
    [InlineData("""{"type":"object","properties":{"a":{"type":"string","maxLength":-1}}}""", "maxLength must be a whole number")]
    [InlineData("""{"type":"object","properties":{"a":{"enum":[{"x":1}]}}}""", "enum must be 1 to 64 strings, numbers or booleans")]
    public void SchemasOutsideTheSubsetAreRefusedSayingWhy(string schema, string expected)
    {
        Assert.Null(ParameterSchema.Parse(schema, out var error));
        Assert.Contains(expected, error, StringComparison.Ordinal);
    }

    [Fact]
    public void NestingBeyondTheBoundIsRefused()
    {
        var schema = new JsonObject { ["type"] = "object" };
        var inner = schema;
        for (var i = 0; i < ParameterSchema.MaxDepth; i++)
        {
            var next = new JsonObject { ["type"] = "object" };
            inner["properties"] = new JsonObject { ["a"] = next };
            inner = next;
        }

        Assert.Null(ParameterSchema.Parse(schema, out var error));
        Assert.Contains($"nest at most {ParameterSchema.MaxDepth} levels", error, StringComparison.Ordinal);
    }

    [Fact]
    public void APatternThatWouldBacktrackForeverRunsInLinearTime()
    {
        var schema = ParameterSchema.Parse("""{"type":"object","properties":{"a":{"type":"string","pattern":"^(a+)+$"}}}""", out _)!;
        var clock = Stopwatch.StartNew();
        Assert.NotNull(schema.Validate(new JsonObject { ["a"] = new string('a', 5_000) + "!" }));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"took {clock.Elapsed}");
        Assert.Null(schema.Validate(new JsonObject { ["a"] = "aaaa" }));
    }

    [Fact]
    public void LengthsCountCharactersNotUtf16Units()
    {
        var schema = ParameterSchema.Parse("""{"type":"object","properties":{"a":{"type":"string","maxLength":2}}}""", out _)!;
        Assert.Null(schema.Validate(new JsonObject { ["a"] = "\U0001F600\U0001F600" }));
        Assert.NotNull(schema.Validate(new JsonObject { ["a"] = "abc" }));
    }

    [Fact]
    public void AnIntegerIsAWholeNumber()
    {
        var schema = ParameterSchema.Parse("""{"type":"object","properties":{"n":{"type":"integer"}}}""", out _)!;
        Assert.Null(schema.Validate("""{"n":3}"""));
        Assert.Null(schema.Validate("""{"n":3.0}"""));
        Assert.Equal("parameters.n must be an integer.", schema.Validate("""{"n":3.5}"""));
        Assert.Equal("parameters.n must be an integer.", schema.Validate("""{"n":"3"}"""));
        Assert.Equal("parameters are not JSON.", schema.Validate("{"));
    }

    [Theory]
    [InlineData("CREATE_TASK", """{"title":"Prepare renewal"}""")]
    [InlineData("CREATE_TASK", """{}""")]
    [InlineData("SEND_EMAIL", """{"template":"renewal-checkin"}""")]
    [InlineData("DRAFT_EMAIL", """{"template":"follow-up"}""")]
    [InlineData("LOG_NOTE", """{"text":"Asked about pricing"}""")]
    [InlineData("UPDATE_CRM_FIELD", """{"field":"stage","value":"won"}""")]
    [InlineData("APPLY_DISCOUNT", """{"percent":20}""")]
    public void TheBuiltInsDefaultSchemasTakeTheDocumentedParameters(string type, string parameters) =>
        Assert.Null(ActionCatalog.CheckParameters(ActionCatalog.BuiltIns[type], parameters));

    [Theory]
    [InlineData("CREATE_TASK", """{"title":"Call back","callbackUrl":"https://evil.example/x"}""")]
    [InlineData("SEND_EMAIL", """{"template":"renewal-checkin","to":"attacker@evil.example"}""")]
    [InlineData("SEND_EMAIL", """{"template":"../../etc/passwd"}""")]
    [InlineData("APPLY_DISCOUNT", """{"percent":150}""")]
    [InlineData("APPLY_DISCOUNT", """{"reason":"no percent"}""")]
    [InlineData("UPDATE_CRM_FIELD", """{"field":"owner; DROP TABLE","value":1}""")]
    public void TheBuiltInsDefaultSchemasRefuseWhatTheyDoNotName(string type, string parameters) =>
        Assert.NotNull(ActionCatalog.CheckParameters(ActionCatalog.BuiltIns[type], parameters));

    [Fact]
    public void EveryBuiltInHasADefaultSchemaAndATenantsOwnReplacesIt()
    {
        Assert.All(ActionCatalog.BuiltIns.Values, spec => Assert.NotNull(ActionCatalog.SchemaOf(spec)));
        var own = ParameterSchema.Parse("""{"type":"object","properties":{"to":{"type":"string"}}}""", out _)!.Canonical;
        var tightened = ActionCatalog.Effective(new Dictionary<string, ActionTypeSpec>
        {
            ["SEND_EMAIL"] = ActionCatalog.BuiltIns["SEND_EMAIL"] with { ParametersSchema = own },
            ["TENANT_TYPE"] = new ActionTypeSpec("TENANT_TYPE", RiskLevel.Low, false, true, false),
        });
        Assert.Null(ActionCatalog.CheckParameters(tightened["SEND_EMAIL"], """{"to":"a@b.example"}"""));
        Assert.Null(ActionCatalog.SchemaOf(tightened["TENANT_TYPE"]));
        Assert.Null(ActionCatalog.CheckParameters(tightened["TENANT_TYPE"], """{"anything":[1,2,3]}"""));
    }
}
