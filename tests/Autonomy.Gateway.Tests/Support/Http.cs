using System.Net;
using System.Text;
using System.Text.Json.Nodes;

namespace Autonomy.Gateway.Tests.Support;

public static class Http
{
    public static Task<HttpResponseMessage> PutJson(this HttpClient client, string path, string json) =>
        client.PutAsync(path, new StringContent(json, Encoding.UTF8, "application/json"));

    public static Task<HttpResponseMessage> PostJson(this HttpClient client, string path, string json) =>
        client.PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"));

    public static async Task<JsonNode> Json(this HttpResponseMessage response) =>
        JsonNode.Parse(await response.Content.ReadAsStringAsync()) ?? throw new InvalidOperationException("empty body");

    /// <summary>Asserts the status (showing the body when it differs) and returns the JSON body.</summary>
    public static async Task<JsonNode> Expect(this HttpResponseMessage response, HttpStatusCode status)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"Expected {(int)status}, got {(int)response.StatusCode}: {body}");
        return body.Length == 0 ? new JsonObject() : JsonNode.Parse(body) ?? new JsonObject();
    }

    /// <summary>Asserts a problem details 400 whose errors map names <paramref name="field"/>.</summary>
    public static async Task<JsonNode> ExpectValidationProblem(this HttpResponseMessage response, string field)
    {
        var problem = await response.Expect(HttpStatusCode.BadRequest);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.False(string.IsNullOrEmpty((string?)problem["title"]));
        Assert.False(string.IsNullOrEmpty((string?)problem["detail"]));
        var errors = problem["errors"]?.AsObject() ?? throw new Xunit.Sdk.XunitException($"no errors map: {problem}");
        Assert.True(errors.ContainsKey(field), $"errors should name '{field}': {problem}");
        return problem;
    }
}
