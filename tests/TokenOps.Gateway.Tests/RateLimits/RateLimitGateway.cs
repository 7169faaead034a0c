using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using TokenOps.Cli.Simulation;
using TokenOps.Core.Ledger;
using TokenOps.Core.RateLimits;
using TokenOps.Gateway.Configuration;

namespace TokenOps.Gateway.Tests.RateLimits;

/// <summary>
/// The real gateway and simulated provider on a fake clock (12:00:45 UTC, so Retry-After is predictable and a new
/// window is one Advance away), in a fresh data directory.
/// </summary>
internal sealed class RateLimitGateway : IAsyncDisposable
{
    public static readonly DateTimeOffset Start = new(2026, 3, 2, 12, 0, 45, TimeSpan.Zero);

    private readonly SimulatedProvider _simulator;
    private readonly string _dir;

    private RateLimitGateway(GatewayApp app, SimulatedProvider simulator, FakeTimeProvider clock, string dir)
    {
        App = app;
        _simulator = simulator;
        Clock = clock;
        _dir = dir;
    }

    public GatewayApp App { get; }
    public FakeTimeProvider Clock { get; }
    public InProcessRateLimitCounters Counters => (InProcessRateLimitCounters)App.Services.GetRequiredService<IRateLimitCounters>();
    public int ProviderCalls => _simulator.Services.GetRequiredService<TokenOps.Simulator.SimulatorBill>().Count;

    public static async Task<RateLimitGateway> StartAsync(Action<RateLimitOptions> configure)
    {
        var clock = new FakeTimeProvider(Start);
        var dir = Path.Combine(Path.GetTempPath(), "tokenops-tests", Guid.NewGuid().ToString("N"));
        var options = new GatewayOptions { DataDirectory = dir };
        configure(options.RateLimits);
        GatewayOptionsValidator.Validate(options, "test");
        var simulator = await SimulatedProvider.StartAsync();
        var app = await GatewayHost.StartAsync(new GatewaySettings
        {
            Options = options, Urls = ["http://127.0.0.1:0"], SimulatorUrl = simulator.Url, Time = clock, MinimumLogLevel = LogLevel.Warning,
        });
        return new RateLimitGateway(app, simulator, clock, dir);
    }

    public (string Id, string Secret) Key(string person, string team)
    {
        var (key, secret) = App.Services.GetRequiredService<IKeyStore>().Create(person, team);
        return (key.Id, secret);
    }

    public HttpClient Client(string secret)
    {
        var http = new HttpClient { BaseAddress = App.BaseUrl, Timeout = TimeSpan.FromSeconds(30) };
        http.DefaultRequestHeaders.Authorization = new("Bearer", secret);
        return http;
    }

    public static HttpRequestMessage Chat(int maxTokens = 64, bool stream = false, int? chunkDelayMs = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Content = new StringContent($$"""{"model":"gpt-4o-mini","stream":{{(stream ? "true" : "false")}},"max_tokens":{{maxTokens}},"messages":[{"role":"user","content":"Name three rivers."}]}""",
                Encoding.UTF8, "application/json"),
        };
        if (chunkDelayMs is { } ms) request.Headers.Add("x-sim-chunk-delay-ms", ms.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return request;
    }

    public async Task<IReadOnlyList<LedgerEntry>> LedgerAsync(int count)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            await App.FlushLedgerAsync();
            var rows = App.Services.GetRequiredService<ILedgerStore>().Read();
            if (rows.Count >= count || DateTime.UtcNow > deadline) return rows;
            await Task.Delay(20);
        }
    }

    /// <summary>Waits (bounded) until the scope has this many requests in flight.</summary>
    public async Task InFlightAsync(string scope, int expected)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (Counters.Usage(scope, Clock.GetUtcNow()).InFlight != expected && DateTime.UtcNow < deadline) await Task.Delay(10);
        Assert.Equal(expected, Counters.Usage(scope, Clock.GetUtcNow()).InFlight);
    }

    public async ValueTask DisposeAsync()
    {
        await App.DisposeAsync();
        await _simulator.DisposeAsync();
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }
}
