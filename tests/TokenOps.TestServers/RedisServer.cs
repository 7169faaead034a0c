using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace TokenOps.TestServers;

/// <summary>
/// A throwaway Redis server for the tests, started from the machine's binary (Debian's <c>redis-server</c> package,
/// /usr/bin/redis-server): loopback on a free port, a temporary directory, no persistence. <see cref="Stop"/> and
/// <see cref="Start"/> bring it down and up again on the same port (outage and restart tests); <see cref="Wipe"/>
/// empties it. Never skipped: without the binary the fixture fails and says which package to install.
/// </summary>
public sealed class RedisServer : IDisposable
{
    public const string Binary = "/usr/bin/redis-server";
    private readonly string _root = Path.Combine(Path.GetTempPath(), "tokenops-redis-" + Guid.NewGuid().ToString("N")[..12]);
    private Process? _process;

    public int Port { get; private set; }

    /// <summary>For StackExchange.Redis: fails fast while the server is down, reconnects by itself when it is back.</summary>
    public string ConnectionString => $"127.0.0.1:{Port},abortConnect=false,connectTimeout=2000,syncTimeout=5000,asyncTimeout=5000,connectRetry=1";

    public RedisServer()
    {
        if (!File.Exists(Binary))
            throw new InvalidOperationException($"{Binary} not found: install redis-server (apt-get install redis-server) to run the Redis tests");
        Directory.CreateDirectory(_root);
        Exception? last = null;
        // A free port can be taken between probing and listening: retry a few times.
        for (var attempt = 0; attempt < 5 && _process is null; attempt++)
        {
            Port = FreePort();
            try { Start(); }
            catch (InvalidOperationException e) { last = e; }
        }
        if (_process is null) throw new InvalidOperationException("The throwaway Redis server did not start: " + last?.Message, last);
    }

    public bool IsRunning => _process is { HasExited: false };

    /// <summary>Starts the server on <see cref="Port"/> (again, after <see cref="Stop"/>) and waits until it answers.</summary>
    public void Start()
    {
        if (IsRunning) return;
        var info = new ProcessStartInfo(Binary)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = _root,
        };
        foreach (var arg in new[] { "--port", Port.ToString(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", _root, "--protected-mode", "no" })
            info.ArgumentList.Add(arg);
        var process = Process.Start(info) ?? throw new InvalidOperationException("redis-server did not start");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited) throw new InvalidOperationException($"redis-server exited with {process.ExitCode} (port {Port} taken?)");
            if (Answers()) { _process = process; return; }
            Thread.Sleep(50);
        }
        process.Kill();
        throw new InvalidOperationException($"redis-server did not answer on port {Port} within 10 s");
    }

    /// <summary>Kills the server (like a crash): clients see it unreachable until <see cref="Start"/>.</summary>
    public void Stop()
    {
        if (_process is null) return;
        try { _process.Kill(); _process.WaitForExit(5000); } catch (InvalidOperationException) { }
        _process.Dispose();
        _process = null;
    }

    /// <summary>Empties every key (FLUSHALL), for tests that need a clean server.</summary>
    public void Wipe() => Command("FLUSHALL\r\n");

    public void Dispose()
    {
        Stop();
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    private bool Answers()
    {
        try { return Command("PING\r\n").StartsWith("+PONG", StringComparison.Ordinal); }
        catch (SocketException) { return false; }
        catch (IOException) { return false; }
    }

    /// <summary>One inline command over a plain socket (the fixture needs no client library).</summary>
    private string Command(string inline)
    {
        using var client = new TcpClient();
        client.Connect(IPAddress.Loopback, Port);
        using var stream = client.GetStream();
        stream.ReadTimeout = 2000;
        var bytes = System.Text.Encoding.ASCII.GetBytes(inline);
        stream.Write(bytes);
        var buffer = new byte[64];
        var read = stream.Read(buffer);
        return System.Text.Encoding.ASCII.GetString(buffer, 0, read);
    }

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }
}
