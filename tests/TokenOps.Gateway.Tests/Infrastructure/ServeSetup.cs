using System.Net.Sockets;
using System.Text.Json;

namespace TokenOps.Gateway.Tests.Infrastructure;

/// <summary>
/// What a test needs to run `tokenops serve` as its own process against a simulator: a data directory, a tokenops.json
/// routing gpt-4o-mini to the simulator (provider key in a file), a virtual key, and a free loopback URL.
/// </summary>
public sealed record ServeSetup(string DataDirectory, string ConfigPath, string VirtualKey, string Url)
{
    public static async Task<ServeSetup> CreateAsync(string simulatorUrl, string purpose)
    {
        var dir = Path.Combine(Path.GetTempPath(), "tokenops-" + purpose, Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        var config = Path.Combine(dir, "tokenops.json");
        var keyFile = Path.Combine(dir, "provider.key");
        await File.WriteAllTextAsync(keyFile, $"sk-{purpose}-test\n");
        await File.WriteAllTextAsync(config, JsonSerializer.Serialize(new
        {
            providers = new { sim = new { kind = "openai", baseUrl = simulatorUrl, apiKeyFile = keyFile } },
            models = new Dictionary<string, object> { ["gpt-4o-mini"] = new { provider = "sim" } },
        }));
        var (exit, keyOut, keyErr) = await CliProcess.RunAsync("keys", "create", "--person", "kim", "--team", "sre", "--data", dir);
        Assert.True(exit == 0, keyErr);
        return new ServeSetup(dir, config, keyOut.Trim().Split('\n')[^1].Trim(), $"http://127.0.0.1:{FreePort()}");
    }

    public CliProcess Start(string? url = null) => CliProcess.Start("serve", "--config", ConfigPath, "--urls", url ?? Url, "--data", DataDirectory);

    /// <summary>
    /// A free loopback port for a process to bind later, picked below the kernel's ephemeral range: a port the kernel
    /// handed out (port 0) is soon handed out again to some outgoing connection (a test's HttpClient, a PostgreSQL
    /// connection), which then holds it when the process binds.
    /// </summary>
    public static int FreePort()
    {
        var low = EphemeralLow();
        for (var attempt = 0; attempt < 200 && low > 10_000; attempt++)
        {
            var port = Random.Shared.Next(10_000, low);
            try
            {
                using var probe = new TcpListener(System.Net.IPAddress.Loopback, port);
                probe.Start();
                return port;
            }
            catch (SocketException)
            {
                // taken: try another
            }
        }
        using var listener = new TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static int EphemeralLow()
    {
        try
        {
            var range = File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split((char[])[' ', '\t', '\n'], StringSplitOptions.RemoveEmptyEntries);
            return int.Parse(range[0], System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return 32_768;
        }
    }
}
