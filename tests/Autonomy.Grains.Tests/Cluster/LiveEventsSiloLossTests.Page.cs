using System.Diagnostics;
using System.Text.Json;

namespace Autonomy.Tests.Cluster;

// What an open page hears: its live connection, kept as live.js keeps it.
public sealed partial class LiveEventsSiloLossTests
{
    private sealed record Heard(string Kind, string? AccountId, TimeSpan At);

    /// <summary>
    /// A control center page's live connection, as live.js keeps it: reads the event stream, and when the stream ends or
    /// fails, opens it again (the page then reloads from the API). Records what it heard and when.
    /// </summary>
    private sealed class Page : IAsyncDisposable
    {
        private readonly HttpClient _client;
        private readonly string _path;
        private readonly Stopwatch _clock;
        private readonly CancellationTokenSource _stop = new();
        private readonly List<Heard> _heard = [];
        private readonly Task _reading;

        public Page(HostProcess gateway, string token, string path, Stopwatch clock)
        {
            _client = gateway.Client(token, Timeout.InfiniteTimeSpan);
            _path = path;
            _clock = clock;
            _reading = Task.Run(ReadAsync);
        }

        /// <summary>How many times the page got a stream (its <c>ready</c> events).</summary>
        public int Connections
        {
            get
            {
                lock (_heard)
                {
                    return _heard.Count(h => h.Kind == "ready");
                }
            }
        }

        public IReadOnlyList<Heard> Heard
        {
            get
            {
                lock (_heard)
                {
                    return [.. _heard];
                }
            }
        }

        public bool HeardRunOf(string account)
        {
            lock (_heard)
            {
                return _heard.Any(h => h.Kind == "run" && h.AccountId == account);
            }
        }

        private void Record(string kind, string? accountId = null)
        {
            lock (_heard)
            {
                _heard.Add(new Heard(kind, accountId, _clock.Elapsed));
            }
        }

        private async Task ReadAsync()
        {
            while (!_stop.IsCancellationRequested)
            {
                try
                {
                    using var response = await _client.GetAsync(_path, HttpCompletionOption.ResponseHeadersRead, _stop.Token);
                    if (!response.IsSuccessStatusCode)
                    {
                        Record($"refused-{(int)response.StatusCode}");
                        await Task.Delay(TimeSpan.FromSeconds(1), _stop.Token);
                        continue;
                    }

                    using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(_stop.Token));
                    string? kind = null, data = null;
                    while (await reader.ReadLineAsync(_stop.Token) is { } line)
                    {
                        if (line.StartsWith("event: ", StringComparison.Ordinal))
                        {
                            kind = line[7..];
                        }
                        else if (line.StartsWith("data: ", StringComparison.Ordinal))
                        {
                            data = line[6..];
                        }
                        else if (line.Length == 0 && kind is not null)
                        {
                            var accountId = data is null ? null : JsonDocument.Parse(data).RootElement.TryGetProperty("accountId", out var a) ? a.GetString() : null;
                            Record(kind, accountId);
                            (kind, data) = (null, null);
                        }
                    }

                    Record("ended");
                }
                catch (OperationCanceledException) when (_stop.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception ex) when (ex is HttpRequestException or IOException)
                {
                    Record("failed");
                    await Task.Delay(TimeSpan.FromSeconds(1), CancellationToken.None);
                }
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            await _reading;
            _client.Dispose();
            _stop.Dispose();
        }
    }
}
