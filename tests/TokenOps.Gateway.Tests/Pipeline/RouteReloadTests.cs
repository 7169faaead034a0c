using TokenOps.Cli.Simulation;
using System.Net;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using TokenOps.Core.Ledger;
using TokenOps.Gateway.Configuration;
using TokenOps.Gateway.Tests.Infrastructure;
using TokenOps.Storage.Sqlite;

namespace TokenOps.Gateway.Tests.Pipeline;

/// <summary>Routes and prices follow tokenops.json without a restart; a bad edit leaves the running routes in place.</summary>
public sealed class RouteReloadTests : IAsyncDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "tokenops-reload", Guid.NewGuid().ToString("N"));
    private GatewayApp? _app;
    private SimulatedProvider? _simulator;

    private string ConfigPath => Path.Combine(_dir, "tokenops.json");

    private static string Config(string aliasTarget, decimal outputPerMTok) => $$"""
        { "models": { "team-default": { "target": "{{aliasTarget}}" } },
          "prices": { "gpt-4o-mini": { "outputPerMTok": {{outputPerMTok.ToString(System.Globalization.CultureInfo.InvariantCulture)}} } } }
        """;

    private async Task<LedgerEntry> SendAsync(HttpClient http)
    {
        using var response = await http.PostAsync("/v1/chat/completions", new StringContent(
            """{"model":"team-default","max_tokens":16,"messages":[{"role":"user","content":"hi"}]}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var id = response.Headers.GetValues("X-TokenOps-Request-Id").Single();
        await _app!.FlushLedgerAsync();
        return _app.Services.GetRequiredService<TokenOps.Core.Ledger.ILedgerStore>().Read().Single(r => r.Id == id);
    }

    private async Task<LedgerEntry> SendUntilAsync(HttpClient http, Func<LedgerEntry, bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (true)
        {
            var row = await SendAsync(http);
            if (condition(row) || DateTime.UtcNow > deadline) return row;
            await Task.Delay(100);
        }
    }

    [Fact]
    public async Task EditedConfig_ChangesAliasesAndPrices_WithoutRestart_AndABadEditIsIgnored()
    {
        Directory.CreateDirectory(_dir);
        await File.WriteAllTextAsync(ConfigPath, Config("gpt-4o-mini", 0.60m));
        var options = ConfigurationLoader.Load(ConfigPath);
        options.DataDirectory = _dir;
        _simulator = await SimulatedProvider.StartAsync();
        _app = await GatewayHost.StartAsync(new GatewaySettings
        {
            Options = options, ConfigPath = ConfigPath, ConfigReloadInterval = TimeSpan.FromMilliseconds(100),
            Urls = ["http://127.0.0.1:0"], SimulatorUrl = _simulator.Url, MinimumLogLevel = LogLevel.Warning,
        });
        var key = _app.Services.GetRequiredService<IKeyStore>().Create("ada", "core").Secret;
        using var http = new HttpClient { BaseAddress = _app.BaseUrl };
        http.DefaultRequestHeaders.Authorization = new("Bearer", key);

        var before = await SendAsync(http);
        Assert.Equal("gpt-4o-mini", before.ServedModel);

        // A price edit: same model, output at 10x; the catalog version recorded on the row changes with it.
        await File.WriteAllTextAsync(ConfigPath, Config("gpt-4o-mini", 6.00m));
        var repriced = await SendUntilAsync(http, r => r.CatalogVersion != before.CatalogVersion);
        Assert.NotEqual(before.CatalogVersion, repriced.CatalogVersion);
        Assert.Equal(before.Usage.Output * 6.00m / 1_000_000m, repriced.Cost.Output);

        // An alias edit: the same client model name now goes to another model.
        await File.WriteAllTextAsync(ConfigPath, Config("gpt-4.1-nano", 6.00m));
        var rerouted = await SendUntilAsync(http, r => r.ServedModel != "gpt-4o-mini");
        Assert.Equal("gpt-4.1-nano", rerouted.ServedModel);

        // A broken edit (invalid JSON) is refused; the gateway keeps serving the last good routes.
        await File.WriteAllTextAsync(ConfigPath, "{ \"models\": ");
        await Task.Delay(500);
        var still = await SendAsync(http);
        Assert.Equal(("gpt-4.1-nano", rerouted.CatalogVersion), (still.ServedModel, still.CatalogVersion));
    }

    [Fact]
    public async Task EditedBudgets_ApplyWithoutRestart_AndOtherEditsSayARestartIsNeeded()
    {
        Directory.CreateDirectory(_dir);
        static string Budget(decimal limit, int thresholds) => $$"""
            { "budgets": { "people": { "ada": { "limitUsd": {{limit.ToString(System.Globalization.CultureInfo.InvariantCulture)}}, "period": "daily" } } },
              "alerts": { "thresholds": [{{thresholds}}] } }
            """;
        await File.WriteAllTextAsync(ConfigPath, Budget(0.000001m, 50));
        var options = ConfigurationLoader.Load(ConfigPath);
        options.DataDirectory = _dir;
        var logs = new CapturedLogs();
        _simulator = await SimulatedProvider.StartAsync();
        _app = await GatewayHost.StartAsync(new GatewaySettings
        {
            Options = options, ConfigPath = ConfigPath, ConfigReloadInterval = TimeSpan.FromMilliseconds(100),
            Urls = ["http://127.0.0.1:0"], SimulatorUrl = _simulator.Url, MinimumLogLevel = LogLevel.Information,
            ConfigureLogging = b => b.AddProvider(logs),
        });
        var key = _app.Services.GetRequiredService<IKeyStore>().Create("ada", "core").Secret;
        using var http = new HttpClient { BaseAddress = _app.BaseUrl };
        http.DefaultRequestHeaders.Authorization = new("Bearer", key);
        async Task<HttpStatusCode> Send()
        {
            using var response = await http.PostAsync("/v1/chat/completions", new StringContent(
                """{"model":"gpt-4o-mini","max_tokens":16,"messages":[{"role":"user","content":"hi"}]}""", Encoding.UTF8, "application/json"));
            return response.StatusCode;
        }
        Assert.Equal(HttpStatusCode.PaymentRequired, await Send());

        // The limit raised in the file: admitted within a reload interval, no restart.
        await File.WriteAllTextAsync(ConfigPath, Budget(5m, 50));
        var deadline = DateTime.UtcNow.AddSeconds(15);
        var status = await Send();
        while (status != HttpStatusCode.OK && DateTime.UtcNow < deadline) { await Task.Delay(100); status = await Send(); }
        Assert.Equal(HttpStatusCode.OK, status);
        // The reloader applies, then logs: a request can be admitted in between.
        while (!logs.Lines.Any(l => l.Contains("Applied the budgets of tokenops.json", StringComparison.Ordinal)) && DateTime.UtcNow < deadline)
            await Task.Delay(50);
        Assert.Contains(logs.Lines, l => l.Contains("Applied the budgets of tokenops.json", StringComparison.Ordinal));

        // An alert edit is not live: the warning names the section and says a restart applies it.
        await File.WriteAllTextAsync(ConfigPath, Budget(5m, 80));
        deadline = DateTime.UtcNow.AddSeconds(15);
        while (!logs.Lines.Any(l => l.Contains("tokenops.json changed alerts: restart the gateway", StringComparison.Ordinal)) && DateTime.UtcNow < deadline)
            await Task.Delay(100);
        Assert.Contains(logs.Lines, l => l.Contains("tokenops.json changed alerts: restart the gateway", StringComparison.Ordinal));
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null) await _app.DisposeAsync();
        if (_simulator is not null) await _simulator.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }
}
