using System.Net;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Autonomy.Gateway.Apis;
using Autonomy.Gateway.Infrastructure;
using Autonomy.Gateway.Tests.Support;
using Autonomy.Ledger;
using CsCheck;

namespace Autonomy.Gateway.Tests;

/// <summary>A ledger page is at most 4 MiB on the wire, whatever the payloads; the cursor continues.</summary>
[Collection(GatewayCollection.Name)]
public sealed class LedgerPageBoundTests(GatewayFactory factory)
{
    [Fact]
    public async Task APageOfLargeSignalBatchesStopsAt4MiBAndTheCursorReturnsEverySignalOnce()
    {
        var tenant = Tokens.FreshTenant();
        var ingest = factory.Client(Tokens.Ingest(tenant));
        var auditor = factory.Client(Tokens.Auditor(tenant));
        var blob = new string('x', 15_000);

        // 40 batches of 10 signals with 15 KB of attributes each: 40 entries of about 150 KB, 6 MB in all.
        var sent = new List<string>();
        for (var batch = 0; batch < 40; batch++)
        {
            var ids = Enumerable.Range(0, 10).Select(i => $"s-{batch}-{i}").ToList();
            var signals = string.Join(',', ids.Select(id => $$$"""{"id":"{{{id}}}","type":"EMAIL_REPLY_RECEIVED","value":0.1,"attributes":{"blob":"{{{blob}}}"}}"""));
            await (await ingest.PostJson($"/v1/tenants/{tenant}/accounts/acc-{batch % 4}/signals", $$"""{"signals":[{{signals}}]}""")).Expect(HttpStatusCode.Accepted);
            sent.AddRange(ids);
        }

        var received = new List<string>();
        var pages = 0;
        string? cursor = null;
        do
        {
            var response = await auditor.GetAsync($"/v1/tenants/{tenant}/ledger?type=SIGNAL_INGESTED&limit=500" + (cursor is null ? "" : $"&cursor={cursor}"));
            var bytes = await response.Content.ReadAsByteArrayAsync();
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.True(bytes.Length <= LedgerPaging.MaxPageBytes, $"page {pages} is {bytes.Length} bytes");
            var page = JsonNode.Parse(bytes)!;
            received.AddRange(page["items"]!.AsArray().SelectMany(e => e!["payload"]!["signals"]!.AsArray().Select(s => (string)s!["id"]!)));
            cursor = (string?)page["nextCursor"];
            Assert.True(++pages <= 10, "paging does not end");
        }
        while (cursor is not null);

        Assert.True(pages >= 2, "the 6 MB fitted one page");
        Assert.Equal(sent.Order(), received.Order());
    }

    [Fact]
    public void AnEntrysWireSizeBoundIsNeverBelowWhatTheApiWrites()
    {
        string[] pool = ["a", "Z", "0", " ", "-", ":", "/", "\"", "\\", "<", ">", "&", "'", "+", "`", "\n", "\t", "\u0001", "\u007f", "\u00e9", "\u4e2d", "\ud83d\ude00"];
        var text = Gen.Int[0, pool.Length - 1].Select(i => pool[i]).Array[0, 80].Select(parts => string.Concat(parts));
        var options = new JsonSerializerOptions();
        GatewayJson.Configure(options);
        var relaxed = new JsonSerializerOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

        Gen.Select(text, text, Gen.Bool).Sample((value, actor, raw) =>
        {
            var payload = JsonSerializer.Serialize(new { note = value, list = new[] { value, actor } }, raw ? relaxed : JsonSerializerOptions.Default);
            var entry = new LedgerEntry("le_1", "t-1", "account/t-1/a-1", 7, "run-1", "STEP", DateTimeOffset.UnixEpoch, actor, payload, LedgerHash.Genesis, new string('f', 64));

            var written = JsonSerializer.SerializeToUtf8Bytes(LedgerEntryResponse.From(entry), options).Length;

            Assert.True(written <= LedgerPaging.WireBytes(entry), $"{written} bytes written, bound {LedgerPaging.WireBytes(entry)}: {payload}");
        });
    }

    [Fact]
    public void AnEntryTooLargeForAPageIsServedWithoutItsPayload()
    {
        var payload = JsonSerializer.Serialize(new { blob = new string('x', LedgerPaging.MaxPageBytes) });
        var entry = new LedgerEntry("le_1", "t-1", "account/t-1/a-1", 1, null, "SIGNAL_INGESTED", DateTimeOffset.UnixEpoch, "crm", payload, LedgerHash.Genesis, "h");

        var response = LedgerEntryResponse.From(entry);

        Assert.Null(response.Payload);
        Assert.True(response.PayloadOmitted);
        Assert.Null(LedgerEntryResponse.From(entry with { Payload = "{}" }).PayloadOmitted);
    }
}
