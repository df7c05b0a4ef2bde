using System.Net;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Autonomy.Gateway.Tests.Support;

namespace Autonomy.Gateway.Tests.Docs;

/// <summary>
/// docs/openapi.json is the gateway's OpenAPI document as the gateway serves it, so an API change shows in review.
/// Regenerate it with <c>AUTONOMY_UPDATE_OPENAPI=1</c> (docs/api-notes.md, "The OpenAPI document").
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class OpenApiDocumentTests(GatewayFactory factory)
{
    private const string Committed = "docs/openapi.json";

    private const string Regenerate =
        "AUTONOMY_UPDATE_OPENAPI=1 dotnet test tests/Autonomy.Gateway.Tests -c Release --filter \"FullyQualifiedName~OpenApiDocumentTests\"";

    private static readonly JsonSerializerOptions Written = new()
    {
        WriteIndented = true,
        NewLine = "\n",
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    [Fact]
    public async Task TheCommittedDocumentIsTheOneTheGatewayServes()
    {
        var response = await factory.Client(null).GetAsync("/openapi/v1.json");
        var served = Normalize(await response.Expect(HttpStatusCode.OK));
        var path = Repository.PathOf(Committed);

        if (Environment.GetEnvironmentVariable("AUTONOMY_UPDATE_OPENAPI") == "1")
        {
            await File.WriteAllTextAsync(path, served);
            return;
        }

        var committed = File.Exists(path) ? Normalize(JsonNode.Parse(await File.ReadAllTextAsync(path))) : "";
        Assert.True(committed == served,
            $"{Committed} is {(committed.Length == 0 ? "missing" : "stale")}{FirstDifference(committed, served)}. "
            + $"Regenerate it from the repository root with\n  {Regenerate}\nand commit the change.");
    }

    [Fact]
    public async Task TheDocumentNamesNoServer()
    {
        var document = await File.ReadAllTextAsync(Repository.PathOf(Committed));

        Assert.Null(JsonNode.Parse(document)?["servers"]);
        Assert.DoesNotContain("localhost", document, StringComparison.Ordinal);
    }

    /// <summary>Indented, with one escaping rule and line ending, and no <c>servers</c> (the address this test host happened to answer on).</summary>
    private static string Normalize(JsonNode? document)
    {
        var copy = document?.DeepClone().AsObject() ?? throw new InvalidOperationException("The OpenAPI document is empty.");
        copy.Remove("servers");
        return copy.ToJsonString(Written) + "\n";
    }

    private static string FirstDifference(string committed, string served)
    {
        var a = committed.Split('\n');
        var b = served.Split('\n');
        for (var i = 0; i < Math.Min(a.Length, b.Length); i++)
        {
            if (a[i] != b[i])
            {
                return $" (first difference at line {i + 1}: committed \"{a[i].Trim()}\", served \"{b[i].Trim()}\")";
            }
        }

        return a.Length == b.Length ? "" : $" ({a.Length} lines committed, {b.Length} served)";
    }
}
