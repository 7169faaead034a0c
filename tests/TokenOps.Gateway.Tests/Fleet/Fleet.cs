using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using TokenOps.Gateway.Tests.Infrastructure;
using TokenOps.Cli.Simulation;
using TokenOps.Simulator;

namespace TokenOps.Gateway.Tests.Fleet;

/// <summary>
/// N real `tokenops serve` processes on one PostgreSQL database (and one Redis when given), each with its own data
/// directory (its local journal), routing gpt-4o-mini to one simulator: a fleet as an operator would run it. Replicas can
/// be killed with SIGKILL and started again; requests go round-robin, as a load balancer would send them.
/// </summary>
public sealed class Fleet : IAsyncDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "tokenops-fleet", Guid.NewGuid().ToString("N"));
    private readonly CliProcess?[] _replicas;
    private readonly string[] _urls;
    /// <summary>Replicas that have listened once: a restart keeps its address (clients may hold it).</summary>
    private readonly bool[] _started;
    private readonly Dictionary<string, string> _environment;
    private int _next;

    private Fleet(SimulatedProvider simulator, int replicas, string postgres, string? redis)
    {
        Simulator = simulator;
        Postgres = postgres;
        _replicas = new CliProcess?[replicas];
        _urls = Enumerable.Range(0, replicas).Select(_ => $"http://127.0.0.1:{ServeSetup.FreePort()}").ToArray();
        _started = new bool[replicas];
        _environment = new Dictionary<string, string> { ["TOKENOPS_PG"] = postgres };
        if (redis is not null) _environment["TOKENOPS_REDIS"] = redis;
        Directory.CreateDirectory(_root);
        ConfigPath = Path.Combine(_root, "tokenops.json");
    }

    public SimulatedProvider Simulator { get; }
    public string Postgres { get; }
    public string ConfigPath { get; }
    public IReadOnlyList<string> Urls => _urls;
    public string DataDirectory(int replica) => Path.Combine(_root, "data-" + replica);

    /// <param name="extra">More tokenops.json members (budgets, redis, rate limits), as JSON object members.</param>
    /// <param name="models">Models the simulator serves (besides gpt-4o-mini).</param>
    public static async Task<Fleet> StartAsync(int replicas, string postgres, string? redis = null, string extra = "", string[]? models = null)
    {
        var simulator = await SimulatedProvider.StartAsync();
        var fleet = new Fleet(simulator, replicas, postgres, redis);
        var keyFile = Path.Combine(fleet._root, "provider.key");
        await File.WriteAllTextAsync(keyFile, "sk-fleet-test\n");
        var redisMember = redis is null ? "" : """ "redis": { "connectionStringEnv": "TOKENOPS_REDIS", "onFailure": "fail-closed" },""";
        await File.WriteAllTextAsync(fleet.ConfigPath, $$"""
            {
              "providers": { "sim": { "kind": "openai", "baseUrl": {{JsonSerializer.Serialize(simulator.Url.ToString())}}, "apiKeyFile": {{JsonSerializer.Serialize(keyFile)}} } },
              "models": { {{string.Join(", ", new[] { "gpt-4o-mini" }.Concat(models ?? []).Select(m => $"\"{m}\": {{ \"provider\": \"sim\" }}"))}} },
              "storage": { "kind": "postgres", "connectionStringEnv": "TOKENOPS_PG" },{{redisMember}}
              {{extra}}
              "dataDirectory": {{JsonSerializer.Serialize(fleet.DataDirectory(0))}}
            }
            """);
        for (var i = 0; i < replicas; i++) await fleet.StartReplicaAsync(i);
        return fleet;
    }

    /// <summary>A virtual key made with the CLI against the shared database (every replica sees it).</summary>
    public async Task<string> CreateKeyAsync(string person, string team)
    {
        var (exit, stdout, stderr) = await CliProcess.RunAsync(_environment, "keys", "create", "--person", person, "--team", team, "--config", ConfigPath, "--data", DataDirectory(0));
        Assert.True(exit == 0, stderr);
        return stdout.Trim().Split('\n')[^1].Trim();
    }

    public Task<(int ExitCode, string Stdout, string Stderr)> CliAsync(params string[] args) =>
        CliProcess.RunAsync(_environment, [.. args, "--config", ConfigPath, "--data", DataDirectory(0)]);

    public async Task StartReplicaAsync(int i)
    {
        for (var attempt = 0; ; attempt++)
        {
            var process = CliProcess.Start(_environment, "serve", "--config", ConfigPath, "--urls", _urls[i], "--data", DataDirectory(i));
            _replicas[i] = process;
            try
            {
                await process.WaitForLineAsync("gateway listening on", TimeSpan.FromSeconds(60));
                _started[i] = true;
                return;
            }
            catch (Xunit.Sdk.XunitException) when (attempt < 3 && !_started[i] && process.Stderr.Contains("address is already in use", StringComparison.Ordinal))
            {
                // The free port was taken by another test between probing and binding: a first start may move to another.
                process.Dispose();
                _urls[i] = $"http://127.0.0.1:{ServeSetup.FreePort()}";
            }
        }
    }

    /// <summary>SIGKILL: no drain, no flush; what the replica had not written to PostgreSQL is only in its journal.</summary>
    public void Kill(int i)
    {
        var process = _replicas[i] ?? throw new InvalidOperationException($"replica {i} is not running");
        process.Process.Kill();
        process.Process.WaitForExit(10_000);
        process.Dispose();
        _replicas[i] = null;
    }

    /// <summary>SIGTERM: the replica drains and flushes its ledger before exiting.</summary>
    public async Task StopAsync(int i)
    {
        if (_replicas[i] is not { } process) return;
        System.Diagnostics.Process.Start("kill", ["-TERM", process.Process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!.WaitForExit();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.Process.WaitForExitAsync(timeout.Token);
        process.Dispose();
        _replicas[i] = null;
    }

    public HttpClient Client(string key, int? replica = null)
    {
        var url = replica is { } r ? _urls[r] : NextUrl();
        var http = new HttpClient { BaseAddress = new Uri(url), Timeout = TimeSpan.FromSeconds(60) };
        http.DefaultRequestHeaders.Authorization = new("Bearer", key);
        return http;
    }

    /// <summary>The next running replica, round-robin.</summary>
    public string NextUrl()
    {
        for (var tries = 0; tries < _urls.Length; tries++)
        {
            var i = (int)((uint)Interlocked.Increment(ref _next) % (uint)_urls.Length);
            if (_replicas[i] is not null) return _urls[i];
        }
        throw new InvalidOperationException("no replica is running");
    }

    public static StringContent ChatBody(bool stream, string text = "Summarise the ledger in one line.", int? maxTokens = null) =>
        new($$"""{"model":"gpt-4o-mini","stream":{{(stream ? "true" : "false")}},{{(maxTokens is { } m ? $"\"max_tokens\":{m}," : "")}}"messages":[{"role":"user","content":{{JsonSerializer.Serialize(text)}}}]}""", Encoding.UTF8, "application/json");

    public long BilledNanos() => new GatewayFixtureBill(Simulator).Nanos();

    /// <summary>Rows, distinct ids and the cost sum of the shared ledger, read straight from PostgreSQL.</summary>
    public (long Rows, long Distinct, long CostNanos) Ledger()
    {
        using var c = new NpgsqlConnection(Postgres);
        c.Open();
        using var q = new NpgsqlCommand("SELECT COUNT(*), COUNT(DISTINCT id), COALESCE(SUM(cost_nanos), 0)::bigint FROM ledger", c);
        using var r = q.ExecuteReader();
        r.Read();
        return (r.GetInt64(0), r.GetInt64(1), r.GetInt64(2));
    }

    /// <summary>Cost in nano-USD of the shared ledger's rows matching a SQL condition on its columns (a test's own literal).</summary>
    public long SpentNanos(string where)
    {
        using var c = new NpgsqlConnection(Postgres);
        c.Open();
        using var q = new NpgsqlCommand($"SELECT COALESCE(SUM(cost_nanos), 0)::bigint FROM ledger WHERE {where}", c);
        return (long)q.ExecuteScalar()!;
    }

    /// <summary>Waits until the shared ledger holds <paramref name="rows"/> rows (replicas write in batches, a replayed journal at start).</summary>
    public async Task<(long Rows, long Distinct, long CostNanos)> LedgerAsync(long rows, TimeSpan? within = null)
    {
        var deadline = DateTime.UtcNow + (within ?? TimeSpan.FromSeconds(30));
        while (true)
        {
            var ledger = Ledger();
            if (ledger.Rows >= rows || DateTime.UtcNow > deadline) return ledger;
            await Task.Delay(100);
        }
    }

    public string Logs(int i) => _replicas[i] is { } p ? p.Stdout + p.Stderr : "(not running)";

    public async ValueTask DisposeAsync()
    {
        for (var i = 0; i < _replicas.Length; i++) _replicas[i]?.Dispose();
        await Simulator.DisposeAsync();
        try { Directory.Delete(_root, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    /// <summary>The simulator's bill priced with the bundled catalog (what the provider would charge).</summary>
    private sealed class GatewayFixtureBill(SimulatedProvider simulator)
    {
        public long Nanos()
        {
            var catalog = BundledCatalog.Load();
            return simulator.Services.GetRequiredService<SimulatorBill>().Entries.Sum(e =>
                catalog.TryGet(e.Model, out var price) ? Core.Pricing.NanoUsd.FromUsd(Core.Pricing.CostCalculator.Compute(price, e.Usage).Total) : 0);
        }
    }
}
