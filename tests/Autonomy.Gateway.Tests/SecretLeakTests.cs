using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text;
using Autonomy.Gateway.Tests.Support;
using Autonomy.Tests.Support;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Logging;

namespace Autonomy.Gateway.Tests;

/// <summary>An embedded gateway of its own whose every log line (debug and up, exceptions included) is kept.</summary>
public sealed class LoggedGatewayFactory : GatewayFactory
{
    public ConcurrentQueue<string> Lines { get; } = new();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("Autonomy:SiloPort", Loopback.FreePort().ToString(CultureInfo.InvariantCulture));
        builder.UseSetting("Autonomy:GatewayPort", Loopback.FreePort().ToString(CultureInfo.InvariantCulture));
        builder.UseSetting("Logging:LogLevel:Default", "Debug");
        builder.ConfigureLogging(l => l.AddProvider(new Capture(Lines)));
    }

    private sealed class Capture(ConcurrentQueue<string> lines) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new Logger(categoryName, lines);

        public void Dispose()
        {
        }
    }

    private sealed class Logger(string category, ConcurrentQueue<string> lines) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            lines.Enqueue($"{category} {logLevel}: {formatter(state, exception)} {exception}");
    }
}

/// <summary>
/// A distinctive secret set through every route that takes one (connector secret, LLM key, chosen and generated
/// webhook signing secrets, and requests that fail validation while carrying one) appears in no GET, history, ledger
/// query, export, problem answer, log line or data file; a generated secret only in the one answer that made it.
/// </summary>
public sealed class SecretLeakTests(LoggedGatewayFactory factory) : IClassFixture<LoggedGatewayFactory>
{
    [Fact]
    public async Task ASecretSetThroughEveryRouteNeverComesBackOut()
    {
        var tenant = Tokens.FreshTenant();
        var admin = factory.Client(Tokens.For(tenant, "admin-1", "admin", "auditor"));
        var id = Guid.NewGuid().ToString("N");
        var connectorSecret = $"conn-leak-{id}";
        var apiKey = $"sk-leak-{id}";
        var signingBytes = $"signing-leak-{id}";
        var chosen = "whsec_" + Convert.ToBase64String(Encoding.UTF8.GetBytes(signingBytes));
        var b = $"/v1/tenants/{tenant}";
        var answers = new List<string>();

        async Task Send(HttpResponseMessage response, HttpStatusCode status) => answers.Add((await response.Expect(status)).ToJsonString());

        var connector = $$$"""
            {"kind":"HTTP_JSON","endpoint":"https://crm.example.com/api/accounts/{accountId}","authHeader":"X-Api-Key","secret":"{{{connectorSecret}}}",
             "mapping":{"items":"events","id":"id","type":"type"}}
            """;
        await Send(await admin.PutJson($"{b}/connectors/crm", connector), HttpStatusCode.OK);
        await Send(await admin.PutJson($"{b}/connectors/crm", connector.Replace($"\"secret\":\"{connectorSecret}\",", "", StringComparison.Ordinal)), HttpStatusCode.OK);
        await Send(await admin.PutJson($"{b}/connectors/crm", connector.Replace("X-Api-Key", "Authorization", StringComparison.Ordinal)), HttpStatusCode.OK);
        await Send(await admin.PutJson($"{b}/connectors/crm", connector.Replace("https://crm", "ftp://crm", StringComparison.Ordinal)), HttpStatusCode.BadRequest);

        var engine = $$$"""{"kind":"chat","fallback":"playbook","chat":{"baseUrl":"http://127.0.0.1:9/v1","model":"m","apiKey":"{{{apiKey}}}"}}""";
        await Send(await admin.PutJson($"{b}/engine", engine), HttpStatusCode.OK);
        await Send(await admin.PutJson($"{b}/engine", engine.Replace(apiKey, apiKey + "\\u0001", StringComparison.Ordinal)), HttpStatusCode.BadRequest);
        await Send(await admin.PutJson($"{b}/engine", engine.Replace("\"m\"", "\"\"", StringComparison.Ordinal)), HttpStatusCode.BadRequest);

        await Send(await admin.PutJson($"{b}/webhooks/signing-secret", $$"""{"secret":"{{chosen}}"}"""), HttpStatusCode.OK);
        await Send(await admin.PutJson($"{b}/webhooks/signing-secret", $$"""{"secret":"{{chosen}}!!"}"""), HttpStatusCode.BadRequest);
        var generated = (string?)(await (await admin.PostAsync($"{b}/webhooks/signing-secret", null)).Expect(HttpStatusCode.OK))["secret"];
        Assert.StartsWith("whsec_", generated, StringComparison.Ordinal);

        foreach (var path in new[]
        {
            "/engine", "/connectors/crm", "/autonomy", "/autonomy/history", "/webhooks/signing-secret", "/actions/catalog", "/ledger?limit=1000", "/ledger/verify",
        })
        {
            answers.Add(await (await admin.GetAsync(b + path)).Content.ReadAsStringAsync());
        }

        var export = await (await admin.GetAsync($"{b}/ledger/export")).Content.ReadAsStringAsync();
        Assert.Contains("webhook-signing-secret", export, StringComparison.Ordinal);
        Assert.Contains("\"apiKeySet\":true", export, StringComparison.Ordinal);
        answers.Add(export);
        var files = Directory.EnumerateFiles(factory.DataDirectory, "*.db*").Select(f => Encoding.UTF8.GetString(File.ReadAllBytes(f))).ToList();
        Assert.NotEmpty(files);

        string[] secrets = [connectorSecret, apiKey, signingBytes, chosen["whsec_".Length..], generated!["whsec_".Length..]];
        foreach (var secret in secrets)
        {
            Assert.All(answers, a => Assert.DoesNotContain(secret, a, StringComparison.Ordinal));
            Assert.All(factory.Lines, l => Assert.DoesNotContain(secret, l, StringComparison.Ordinal));
            Assert.All(files, f => Assert.DoesNotContain(secret, f, StringComparison.Ordinal));
        }

        Assert.Contains(factory.Lines, l => l.Contains(tenant, StringComparison.Ordinal) || l.Contains("Debug", StringComparison.Ordinal));
    }
}
