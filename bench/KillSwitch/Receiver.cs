using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace Autonomy.Bench.KillSwitch;

/// <summary>One action delivery as the receiver saw it: when it arrived, whose run, from which TCP port.</summary>
internal sealed record Delivery(long ArrivedAt, DateTimeOffset ArrivedUtc, string? RunId, string? AccountId, int RemotePort);

/// <summary>
/// The tenant's webhook receiver, in this process: answers every delivery 200 at once and remembers its arrival.
/// Which silo sent a delivery is read from the kernel: the sender's port belongs to a socket that one silo process
/// holds (/proc/net/tcp and /proc/{pid}/fd), looked up once per connection in the background (connections are pooled).
/// </summary>
internal sealed class Receiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<Delivery> _deliveries = new();
    private readonly ConcurrentDictionary<int, string> _senders = new();
    private readonly Dictionary<int, string> _silos = [];
    private readonly CancellationTokenSource _stop = new();
    private Task _resolver = Task.CompletedTask;
    private long _count;

    private Receiver(WebApplication app, int port)
    {
        _app = app;
        Port = port;
        app.MapPost("/hook", async (HttpContext context) =>
        {
            var arrived = Stopwatch.GetTimestamp();
            var utc = DateTimeOffset.UtcNow;
            using var body = await JsonDocument.ParseAsync(context.Request.Body);
            var root = body.RootElement;
            string? Text(string name) => root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
            if (Text("operation") == "execute")
            {
                _deliveries.Enqueue(new Delivery(arrived, utc, Text("runId"), Text("accountId"), context.Connection.RemotePort));
                Interlocked.Increment(ref _count);
            }

            return Results.Ok();
        });
    }

    public int Port { get; }

    public Uri Url => new($"http://127.0.0.1:{Port}/hook");

    public long Count => Interlocked.Read(ref _count);

    public IReadOnlyList<Delivery> Deliveries => [.. _deliveries];

    public static async Task<Receiver> StartAsync(int port)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        var app = builder.Build();
        var receiver = new Receiver(app, port);
        await app.StartAsync();
        return receiver;
    }

    /// <summary>Starts naming the senders' ports by silo (pid to name).</summary>
    public void WatchSenders(IReadOnlyDictionary<int, string> silos)
    {
        foreach (var (pid, name) in silos)
        {
            _silos[pid] = name;
        }

        _resolver = Task.Run(async () =>
        {
            while (!_stop.IsCancellationRequested)
            {
                foreach (var port in _deliveries.Select(d => d.RemotePort).Distinct().Where(p => !_senders.ContainsKey(p)).ToList())
                {
                    if (SenderOf(port) is { } silo)
                    {
                        _senders[port] = silo;
                    }
                }

                await Task.Delay(200, CancellationToken.None);
            }
        });
    }

    /// <summary>The silo that sent from <paramref name="port"/>, or "?" when its connection was gone before it was looked up.</summary>
    public string Sender(int port) => _senders.TryGetValue(port, out var silo) ? silo : "?";

    private string? SenderOf(int port)
    {
        // The sender's end of the connection: local port = the delivery's remote port, remote port = ours.
        var inode = InodeOf(port);
        if (inode is null)
        {
            return null;
        }

        var target = $"socket:[{inode}]";
        foreach (var (pid, name) in _silos)
        {
            try
            {
                foreach (var fd in Directory.EnumerateFiles($"/proc/{pid}/fd"))
                {
                    if (new FileInfo(fd).LinkTarget == target)
                    {
                        return name;
                    }
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // The process is gone or its descriptors changed under us: try the next one.
            }
        }

        return null;
    }

    private string? InodeOf(int port)
    {
        foreach (var table in new[] { "/proc/net/tcp", "/proc/net/tcp6" })
        {
            if (!File.Exists(table))
            {
                continue;
            }

            foreach (var line in File.ReadLines(table).Skip(1))
            {
                var cells = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (cells.Length > 9 && PortOf(cells[1]) == port && PortOf(cells[2]) == Port)
                {
                    return cells[9];
                }
            }
        }

        return null;
    }

    private static int PortOf(string address) => int.Parse(address[(address.LastIndexOf(':') + 1)..], NumberStyles.HexNumber, CultureInfo.InvariantCulture);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _resolver;
        await _app.StopAsync();
        await _app.DisposeAsync();
        _stop.Dispose();
    }
}
