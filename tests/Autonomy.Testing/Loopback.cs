using System.Net;
using System.Net.Sockets;

namespace Autonomy.Tests.Support;

/// <summary>The loopback interface the test hosts listen on.</summary>
public static class Loopback
{
    /// <summary>A TCP port free on loopback right now (the system's choice), for a host about to listen on it.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
