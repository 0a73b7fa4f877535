using System.Net;
using System.Net.Sockets;

namespace InfisicalKms.Tests.TestSupport;

/// <summary>A loopback port for a helper process that cannot be told to pick one itself (PostgreSQL, nginx).</summary>
public static class LoopbackPort
{
    /// <summary>A port free at this moment; another process could still take it before it is used.</summary>
    public static int Free()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
