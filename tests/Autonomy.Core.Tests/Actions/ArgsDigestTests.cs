using System.Text.Json;
using System.Text.Json.Nodes;
using Autonomy.Actions;
using CsCheck;

namespace Autonomy.Tests.Actions;

public class ArgsDigestTests
{
    private static readonly Gen<string> Key = Gen.Int[0, 30].Select(i => $"k{i}");

    private static readonly Gen<JsonNode?> Scalar = Gen.OneOf<JsonNode?>(
        Gen.Int.Select(i => (JsonNode?)JsonValue.Create(i)),
        Gen.Int[0, 1000].Select(i => (JsonNode?)JsonValue.Create($"v{i} é\"")),
        Gen.Bool.Select(b => (JsonNode?)JsonValue.Create(b)),
        Gen.Const((JsonNode?)null));

    /// <summary>Key/value pairs with distinct keys; a value may itself be a small object.</summary>
    private static readonly Gen<List<(string Key, JsonNode? Value)>> Pairs =
        Gen.Select(Key, Gen.Frequency((4, Scalar), (1, Gen.Select(Key, Scalar).List[0, 4].Select(Object)))).List[0, 8]
            .Select(list => list.DistinctBy(p => p.Item1).ToList());

    private static JsonNode? Object(IEnumerable<(string Key, JsonNode? Value)> pairs)
    {
        var obj = new JsonObject();
        foreach (var (key, value) in pairs.DistinctBy(p => p.Key))
        {
            obj[key] = value?.DeepClone();
        }

        return obj;
    }

    [Fact]
    public void KeyOrderAndWhitespaceDoNotChangeTheDigest() =>
        Gen.Select(Pairs, Gen.Int, Gen.Bool).Sample((pairs, seed, indented) =>
        {
            var shuffled = pairs.OrderBy(_ => new Random(seed).Next()).Reverse().ToList();
            var a = Object(pairs)!.ToJsonString();
            var b = Object(shuffled)!.ToJsonString(new JsonSerializerOptions { WriteIndented = indented });
            var spaced = " \n" + b + "\t\r\n";

            var canonical = ArgsDigest.Canonical(a);
            Assert.Equal(canonical, ArgsDigest.Canonical(b));
            Assert.Equal(canonical, ArgsDigest.Canonical(spaced));
            Assert.Equal(ArgsDigest.Compute("acc-1", "CREATE_TASK", canonical), ArgsDigest.Compute("acc-1", "CREATE_TASK", ArgsDigest.Canonical(b)));
        });

    [Fact]
    public void CanonicalTextIsStable() =>
        Pairs.Sample(pairs =>
        {
            var canonical = ArgsDigest.Canonical(Object(pairs));
            Assert.Equal(canonical, ArgsDigest.Canonical(canonical));
            Assert.DoesNotContain("\n", canonical, StringComparison.Ordinal);
        });

    [Fact]
    public void AnyChangeOfAccountTypeOrValueChangesTheDigest() =>
        Gen.Select(Pairs.Where(p => p.Count > 0), Gen.Int[0, 7], Gen.Int, Gen.Int[0, 2]).Sample((pairs, index, newValue, what) =>
        {
            var parameters = ArgsDigest.Canonical(Object(pairs));
            var original = ArgsDigest.Compute("acc-1", "CREATE_TASK", parameters);
            var changed = what switch
            {
                0 => ArgsDigest.Compute("acc-2", "CREATE_TASK", parameters),
                1 => ArgsDigest.Compute("acc-1", "LOG_NOTE", parameters),
                _ => ArgsDigest.Compute("acc-1", "CREATE_TASK", ArgsDigest.Canonical(Object(pairs.Select((p, i) =>
                    i == index % pairs.Count ? (p.Key, (JsonNode?)JsonValue.Create($"changed {newValue}")) : p)))),
            };

            Assert.NotEqual(original, changed);
        });

    [Fact]
    public void AccountAndTypeBoundariesCannotBeShifted()
    {
        Assert.NotEqual(ArgsDigest.Compute("ab", "C", "{}"), ArgsDigest.Compute("a", "BC", "{}"));
        Assert.NotEqual(ArgsDigest.Compute("a", "B|C", "{}"), ArgsDigest.Compute("a|B", "C", "{}"));
    }

    [Fact]
    public void NullParametersAreAnEmptyObject()
    {
        Assert.Equal("{}", ArgsDigest.Canonical((JsonNode?)null));
        Assert.Equal("{\"a\":1,\"b\":{\"c\":2,\"d\":[3,{\"e\":4,\"f\":5}]}}", ArgsDigest.Canonical("{ \"b\": {\"d\": [3, {\"f\":5, \"e\":4}], \"c\":2}, \"a\" : 1 }"));
        Assert.StartsWith("sha256:", ArgsDigest.Compute("a", "B", "{}"), StringComparison.Ordinal);
    }
}
