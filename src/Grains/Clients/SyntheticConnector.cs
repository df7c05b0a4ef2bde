using System.Globalization;
using System.Text.Json.Nodes;

namespace Autonomy.Connectors;

/// <summary>
/// Realistic account activity for demos and load, deterministic by seed: the same (seed, tenant, account, time) always
/// yields the same events with the same ids, so pulls over overlapping windows are idempotent and a demo can be
/// replayed. Most accounts are quiet, some warm, a few hot; events are mostly website visits, then email replies,
/// meetings, usage changes and support escalations. The answer has the shape of <see cref="ConnectorMapping.Default"/>
/// and goes through the connector's mapping like an HTTP answer would.
/// </summary>
public sealed class SyntheticConnector : IConnector
{
    /// <summary>Activity is decided per bucket of this length.</summary>
    public static readonly TimeSpan Bucket = TimeSpan.FromMinutes(5);

    /// <summary>The furthest back a first pull (or a pull after a long pause) looks.</summary>
    public static readonly TimeSpan MaxLookBack = TimeSpan.FromDays(1);

    private static readonly (string Type, double Weight, double Value)[] Kinds =
    [
        ("WEBSITE_VISIT", 0.55, 0.2),
        ("EMAIL_REPLY_RECEIVED", 0.15, 0.8),
        ("MEETING_BOOKED", 0.06, 0.9),
        ("MEETING_COMPLETED", 0.06, 0.7),
        ("USAGE_DROPPED", 0.08, 0.6),
        ("USAGE_SPIKE", 0.06, 0.5),
        ("SUPPORT_TICKET_ESCALATED", 0.04, 0.85),
    ];

    public Task<PulledData> PullAsync(ConnectorConfig config, PullRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(request);
        return Task.FromResult(PulledData.Map(Generate(config.Seed, request), config.Mapping, config.Name));
    }

    /// <summary>The JSON document a synthetic system would answer for this account and window.</summary>
    public static JsonObject Generate(long seed, PullRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var key = $"{request.TenantId}/{request.AccountId}";
        var level = Unit(seed, key, 0);
        var perBucket = level < 0.8 ? 0.002 : level < 0.95 ? 0.02 : 0.15;
        var from = request.Since is { } since && request.Now - since < MaxLookBack ? since : request.Now - MaxLookBack;
        var events = new JsonArray();
        for (var b = (from.UtcTicks / Bucket.Ticks) + 1; b * Bucket.Ticks <= request.Now.UtcTicks; b++)
        {
            if (Unit(seed, key, b) >= perBucket)
            {
                continue;
            }

            var pick = Unit(seed, key, -b);
            var kind = Kinds[^1];
            foreach (var k in Kinds)
            {
                if ((pick -= k.Weight) < 0)
                {
                    kind = k;
                    break;
                }
            }

            var at = new DateTimeOffset(b * Bucket.Ticks, TimeSpan.Zero);
            events.Add(new JsonObject
            {
                ["id"] = $"syn-{b.ToString(CultureInfo.InvariantCulture)}",
                ["type"] = kind.Type,
                ["value"] = Math.Round(Math.Clamp(kind.Value + ((Unit(seed, key, b * 7) - 0.5) * 0.2), 0, 1), 3),
                ["at"] = at.ToString("O", CultureInfo.InvariantCulture),
                ["details"] = new JsonObject { ["source"] = "synthetic" },
            });
        }

        // Posture drifts slowly: one value per account per day.
        var day = request.Now.UtcTicks / TimeSpan.TicksPerDay;
        return new JsonObject
        {
            ["events"] = events,
            ["account"] = new JsonObject
            {
                ["intent"] = Math.Round(level * 0.6 + (Unit(seed, key, day * 31) * 0.2), 3),
                ["engagement"] = Math.Round(level * 0.5 + (Unit(seed, key, day * 37) * 0.3), 3),
                ["risk"] = Math.Round(Unit(seed, key, day * 41) * 0.4, 3),
            },
        };
    }

    /// <summary>A deterministic number in [0, 1) from the seed, the account and a counter (SplitMix64 over an FNV-1a hash).</summary>
    private static double Unit(long seed, string key, long n)
    {
        var h = 14695981039346656037UL ^ (ulong)seed;
        foreach (var c in key)
        {
            h = (h ^ c) * 1099511628211UL;
        }

        var z = h + ((ulong)n * 0x9E3779B97F4A7C15UL);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        z ^= z >> 31;
        return (z >> 11) / (double)(1UL << 53);
    }
}
