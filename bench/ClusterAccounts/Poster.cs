using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;

namespace Autonomy.Bench.ClusterAccounts;

/// <summary>
/// Posts one signal the way a CRM would: an attempt that times out or is answered 503 is sent again, same signal id, at
/// most 3 attempts; every retry is counted by its reason. The outcome is the last attempt's status (or exception name).
/// </summary>
internal sealed class Poster(HttpClient client)
{
    private long _retriedTimeout;
    private long _retried503;
    private long _non2xx;

    public HttpClient Client => client;

    public long RetriedTimeout => Interlocked.Read(ref _retriedTimeout);

    public long Retried503 => Interlocked.Read(ref _retried503);

    /// <summary>Final outcomes that were not 2xx.</summary>
    public long Non2xx => Interlocked.Read(ref _non2xx);

    public Dictionary<string, long> Statuses { get; } = [];

    /// <summary>The outcome: 2xx or not, and the time from the first attempt to the last answer.</summary>
    public async Task<(bool Ok, double Ms)> PostAsync(string path, string signalId, string type)
    {
        var body = $$"""{"signals":[{"id":"{{signalId}}","type":"{{type}}","value":0.1}]}""";
        var started = Stopwatch.GetTimestamp();
        string outcome;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                using var response = await client.PostAsync(path, new StringContent(body, Encoding.UTF8, "application/json"));
                if (response.StatusCode == HttpStatusCode.ServiceUnavailable && attempt < 3)
                {
                    Interlocked.Increment(ref _retried503);
                    continue;
                }

                outcome = ((int)response.StatusCode).ToString(CultureInfo.InvariantCulture);
                break;
            }
            catch (TaskCanceledException) when (attempt < 3)
            {
                Interlocked.Increment(ref _retriedTimeout);
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                outcome = ex.GetType().Name;
                break;
            }
        }

        var ok = outcome.Length == 3 && outcome[0] == '2';
        if (!ok)
        {
            Interlocked.Increment(ref _non2xx);
        }

        lock (Statuses)
        {
            Statuses[outcome] = Statuses.GetValueOrDefault(outcome) + 1;
        }

        return (ok, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
    }
}
