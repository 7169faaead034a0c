using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace TokenOps.Storage.Tests.Redis;

/// <summary>
/// A throwaway redis-server (/usr/bin/redis-server) on a free loopback port, no persistence, for this project's Redis
/// tests (a class fixture). Never skipped: without the binary the fixture fails saying what to install.
/// </summary>
public sealed class ThrowawayRedis : IDisposable
{
    private const string Binary = "/usr/bin/redis-server";
    private readonly Process _process;

    public ThrowawayRedis()
    {
        if (!File.Exists(Binary)) throw new InvalidOperationException($"{Binary} not found: install redis-server to run the Redis tests");
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            Port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }
        var info = new ProcessStartInfo(Binary) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { "--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no" })
            info.ArgumentList.Add(arg);
        _process = Process.Start(info)!;
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (DateTime.UtcNow < deadline && !_process.HasExited)
        {
            try
            {
                using var client = new TcpClient();
                client.Connect(IPAddress.Loopback, Port);
                return;
            }
            catch (SocketException)
            {
                Thread.Sleep(50);
            }
        }
        throw new InvalidOperationException($"redis-server did not start on port {Port}");
    }

    public int Port { get; }

    public string ConnectionString => $"127.0.0.1:{Port},abortConnect=false";

    public void Dispose()
    {
        try { _process.Kill(); _process.WaitForExit(5000); } catch (InvalidOperationException) { }
        _process.Dispose();
    }
}
