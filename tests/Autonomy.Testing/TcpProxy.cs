using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace Autonomy.Tests.Support;

/// <summary>
/// A TCP proxy on a free loopback port in front of a server (PostgreSQL), which a test cuts and restores to stage
/// an outage without touching the shared server: <see cref="Cut"/> resets every open connection and resets each new
/// one as soon as it is accepted, as a server that went away does; <see cref="Restore"/> forwards again.
/// </summary>
public sealed class TcpProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly string _targetHost;
    private readonly int _targetPort;
    private readonly ConcurrentDictionary<long, (TcpClient Client, TcpClient Server)> _open = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;
    private long _next;
    private volatile bool _cut;

    public TcpProxy(string targetHost, int targetPort)
    {
        _targetHost = targetHost;
        _targetPort = targetPort;
        _listener.Start();
        _accepting = Task.Run(AcceptAsync);
    }

    /// <summary>The port to connect to instead of the server's.</summary>
    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>Connections forwarded so far (a sign the clients reconnected after <see cref="Restore"/>).</summary>
    public long Connections => Interlocked.Read(ref _next);

    /// <summary>The server is gone: open connections are reset, new ones reset on accept.</summary>
    public void Cut()
    {
        _cut = true;
        foreach (var (id, pair) in _open)
        {
            if (_open.TryRemove(id, out _))
            {
                Reset(pair.Client);
                pair.Server.Dispose();
            }
        }
    }

    /// <summary>The server is back: new connections are forwarded again.</summary>
    public void Restore() => _cut = false;

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        Cut();
        try
        {
            await _accepting;
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // Stopped while accepting.
        }

        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            var client = await _listener.AcceptTcpClientAsync(_stop.Token);
            if (_cut)
            {
                Reset(client);
                continue;
            }

            _ = Task.Run(() => ForwardAsync(client));
        }
    }

    private async Task ForwardAsync(TcpClient client)
    {
        var server = new TcpClient();
        try
        {
            await server.ConnectAsync(_targetHost, _targetPort, _stop.Token);
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException)
        {
            Reset(client);
            server.Dispose();
            return;
        }

        var id = Interlocked.Increment(ref _next);
        _open[id] = (client, server);
        try
        {
            using var done = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
            var up = client.GetStream().CopyToAsync(server.GetStream(), done.Token);
            var down = server.GetStream().CopyToAsync(client.GetStream(), done.Token);
            await Task.WhenAny(up, down);
            await done.CancelAsync();
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
            // One side went away (or the proxy cut it): the other follows below.
        }
        finally
        {
            if (_open.TryRemove(id, out _))
            {
                client.Dispose();
                server.Dispose();
            }
        }
    }

    /// <summary>Closes with a reset, not a goodbye: the peer sees the connection fail, as when a server dies.</summary>
    private static void Reset(TcpClient client)
    {
        try
        {
            client.Client.LingerState = new LingerOption(true, 0);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // Already closed.
        }

        client.Dispose();
    }
}
