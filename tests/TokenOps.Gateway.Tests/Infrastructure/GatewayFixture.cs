using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using TokenOps.Core.Ledger;
using TokenOps.Core.Pricing;
using TokenOps.Gateway.Configuration;
using TokenOps.Cli.Simulation;
using TokenOps.Simulator;
using TokenOps.Storage.Sqlite;

namespace TokenOps.Gateway.Tests.Infrastructure;

/// <summary>A real gateway on loopback Kestrel with the simulated provider behind it, in a fresh data directory.</summary>
public sealed class GatewayFixture : IAsyncDisposable
{
    public const string AdminTokenVariable = "TOKENOPS_TEST_ADMIN_TOKEN";
    public const string AdminToken = "admin-test-token-0123456789";

    private GatewayFixture(GatewayApp app, SimulatedProvider simulator, string dataDirectory, CapturedLogs logs)
    {
        App = app;
        Simulator = simulator;
        DataDirectory = dataDirectory;
        Logs = logs;
    }

    public GatewayApp App { get; }
    /// <summary>The simulated provider behind the gateway, started by the fixture as the CLI does for --simulate.</summary>
    public SimulatedProvider Simulator { get; }
    public string DataDirectory { get; }
    public CapturedLogs Logs { get; }
    public Uri BaseUrl => App.BaseUrl;
    public SimulatorBill Bill => Simulator.Services.GetRequiredService<SimulatorBill>();
    public SimulatorOptions SimulatorOptions => Simulator.Services.GetRequiredService<SimulatorOptions>();
    public IKeyStore Keys => App.Services.GetRequiredService<IKeyStore>();

    public static async Task<GatewayFixture> StartAsync(Action<GatewayOptions>? configure = null, SimulatorOptions? simulator = null, TimeSpan? upstreamTimeout = null, string? providerKey = null)
    {
        Environment.SetEnvironmentVariable(AdminTokenVariable, AdminToken);
        var dir = Path.Combine(Path.GetTempPath(), "tokenops-tests", Guid.NewGuid().ToString("N"));
        var options = new GatewayOptions { DataDirectory = dir, AdminTokenEnv = AdminTokenVariable };
        configure?.Invoke(options);
        var logs = new CapturedLogs();
        var provider = await SimulatedProvider.StartAsync(simulator);
        var app = await GatewayHost.StartAsync(new GatewaySettings
        {
            Options = options,
            Urls = ["http://127.0.0.1:0"],
            SimulatorUrl = provider.Url,
            SimulatorTimeout = upstreamTimeout ?? TimeSpan.FromSeconds(30),
            SimulatorApiKey = new TokenOps.Gateway.Configuration.Secret(providerKey ?? "sim-key"),
            MinimumLogLevel = LogLevel.Debug,
            ConfigureLogging = b => b.AddProvider(logs),
        });
        return new GatewayFixture(app, provider, options.DataDirectory, logs);
    }

    public string CreateKey(string person = "ada", string team = "core") => Keys.Create(person, team).Secret;

    public async Task<IReadOnlyList<LedgerEntry>> LedgerAsync()
    {
        await App.FlushLedgerAsync();
        return App.Services.GetRequiredService<TokenOps.Core.Ledger.ILedgerStore>().Read();
    }

    /// <summary>Waits until the ledger holds <paramref name="count"/> rows (settling can finish just after the client returns).</summary>
    public async Task<IReadOnlyList<LedgerEntry>> LedgerAsync(int count)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            var rows = await LedgerAsync();
            if (rows.Count >= count || DateTime.UtcNow > deadline) return rows;
            await Task.Delay(20);
        }
    }

    /// <summary>What the simulated provider charged, priced with the bundled catalog, in nano-USD.</summary>
    public long BilledNanos(IEnumerable<BillEntry> entries)
    {
        var catalog = BundledCatalog.Load();
        return entries.Sum(e => catalog.TryGet(e.Model, out var price) ? NanoUsd.FromUsd(CostCalculator.Compute(price, e.Usage).Total) : 0);
    }

    public HttpClient Client(string? key = null)
    {
        var http = new HttpClient { BaseAddress = BaseUrl, Timeout = TimeSpan.FromSeconds(30) };
        if (key is not null) http.DefaultRequestHeaders.Authorization = new("Bearer", key);
        return http;
    }

    public async ValueTask DisposeAsync()
    {
        await App.DisposeAsync();
        await Simulator.DisposeAsync();
        try { Directory.Delete(DataDirectory, true); } catch (IOException) { }
    }
}

/// <summary>Every log line the gateway writes, kept for assertions.</summary>
public sealed class CapturedLogs : ILoggerProvider
{
    public ConcurrentQueue<string> Lines { get; } = new();
    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);
    public void Dispose() { }

    private sealed class Logger(CapturedLogs owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;
        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner.Lines.Enqueue($"{logLevel} {category}: {formatter(state, exception)} {exception}");
    }
}
