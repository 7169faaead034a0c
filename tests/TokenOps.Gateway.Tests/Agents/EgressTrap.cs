using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace TokenOps.Gateway.Tests.Agents;

/// <summary>
/// A loopback listener given to the agents as HTTP(S)_PROXY (loopback excluded by NO_PROXY): every connection it sees
/// is traffic the agent tried to send somewhere other than the gateway (telemetry, update checks, plugin catalogs).
/// It answers nothing, so such traffic fails instead of leaving the machine.
/// </summary>
public sealed class EgressTrap : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();

    public EgressTrap()
    {
        _listener.Start();
        _ = AcceptAsync();
    }

    public string Url => $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

    /// <summary>The first line each caught connection sent (for a proxy: <c>CONNECT host:443 HTTP/1.1</c>).</summary>
    public ConcurrentQueue<string> Caught { get; } = new();

    /// <summary>Variables that send every non-loopback request of the agent here.</summary>
    public IReadOnlyDictionary<string, string> ProxyEnvironment => new Dictionary<string, string>
    {
        ["HTTPS_PROXY"] = Url, ["https_proxy"] = Url, ["HTTP_PROXY"] = Url, ["http_proxy"] = Url, ["ALL_PROXY"] = Url, ["all_proxy"] = Url,
        ["NO_PROXY"] = "127.0.0.1,localhost", ["no_proxy"] = "127.0.0.1,localhost",
    };

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try { client = await _listener.AcceptTcpClientAsync(_stop.Token); }
            catch (Exception) { return; }
            _ = ReadFirstLineAsync(client);
        }
    }

    private async Task ReadFirstLineAsync(TcpClient client)
    {
        using (client)
        {
            var buffer = new byte[512];
            using var read = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
            read.CancelAfter(TimeSpan.FromSeconds(2));
            var n = 0;
            try { n = await client.GetStream().ReadAsync(buffer, read.Token); }
            catch (Exception) { }
            Caught.Enqueue(Encoding.ASCII.GetString(buffer, 0, n).Split('\n')[0].Trim());
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
    }
}
