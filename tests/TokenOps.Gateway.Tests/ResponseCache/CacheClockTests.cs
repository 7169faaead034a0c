using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using TokenOps.Cli.Simulation;
using TokenOps.Core.Budgets;
using TokenOps.Core.Savings;
using TokenOps.Gateway.Configuration;
using TokenOps.Simulator;
using TokenOps.Storage;

namespace TokenOps.Gateway.Tests.ResponseCache;

/// <summary>
/// The cache on a fake clock through the real gateway: an entry serves until its TTL and not after; the whole cache stays
/// within maxTotalBytes, the least recently used answers going first; a hit needs no budget and books nothing on it.
/// </summary>
public sealed class CacheClockTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 24, 10, 0, 0, TimeSpan.Zero);

    private sealed class Running(GatewayApp app, SimulatedProvider simulator, FakeTimeProvider clock) : IAsyncDisposable
    {
        public GatewayApp App => app;
        public SimulatedProvider Simulator => simulator;
        public FakeTimeProvider Clock => clock;
        public int Billed => simulator.Services.GetRequiredService<SimulatorBill>().Entries.Count;

        public HttpClient Client(string person, string team)
        {
            var key = app.Services.GetRequiredService<IKeyStore>().Create(person, team).Secret;
            var http = new HttpClient { BaseAddress = app.BaseUrl, Timeout = TimeSpan.FromSeconds(30) };
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
            return http;
        }

        public async ValueTask DisposeAsync()
        {
            await app.DisposeAsync();
            await simulator.DisposeAsync();
        }
    }

    private static async Task<Running> StartAsync(Action<GatewayOptions> configure)
    {
        var clock = new FakeTimeProvider(Start);
        var options = new GatewayOptions { DataDirectory = Path.Combine(Path.GetTempPath(), "tokenops-tests", Guid.NewGuid().ToString("N")) };
        configure(options);
        var simulator = await SimulatedProvider.StartAsync();
        var app = await GatewayHost.StartAsync(new GatewaySettings
        {
            Options = options, Urls = ["http://127.0.0.1:0"], SimulatorUrl = simulator.Url, Time = clock, MinimumLogLevel = LogLevel.Warning,
        });
        return new Running(app, simulator, clock);
    }

    private static async Task<(HttpStatusCode Status, string? Cache, string Body)> Ask(HttpClient http, string text, int maxTokens = 64)
    {
        using var response = await http.PostAsync("/v1/chat/completions", new StringContent(
            $$"""{"model":"gpt-4o-mini","max_tokens":{{maxTokens}},"messages":[{"role":"user","content":{{JsonSerializer.Serialize(text)}}}]}""", Encoding.UTF8, "application/json"));
        return (response.StatusCode, response.Headers.TryGetValues("X-TokenOps-Cache", out var v) ? v.Single() : null, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task An_entry_serves_until_its_ttl_and_the_team_ttl_overrides_the_default()
    {
        await using var gateway = await StartAsync(o =>
        {
            o.Cache.Exact = new ExactCacheOptions { Enabled = true, TtlSeconds = 600 };
            o.Cache.Teams["short"] = new ResponseCacheLevelOptions { Exact = new ExactCacheOptions { TtlSeconds = 60 } };
        });
        using var http = gateway.Client("ada", "core");
        using var quick = gateway.Client("bo", "short");
        Assert.Equal("miss", (await Ask(http, "ttl")).Cache);
        Assert.Equal("miss", (await Ask(quick, "ttl")).Cache);

        gateway.Clock.Advance(TimeSpan.FromSeconds(59));
        Assert.Equal("hit", (await Ask(quick, "ttl")).Cache);
        gateway.Clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal("miss", (await Ask(quick, "ttl")).Cache);

        gateway.Clock.Advance(TimeSpan.FromSeconds(539));
        Assert.Equal("hit", (await Ask(http, "ttl")).Cache);
        gateway.Clock.Advance(TimeSpan.FromSeconds(1));
        var billed = gateway.Billed;
        Assert.Equal("miss", (await Ask(http, "ttl")).Cache);
        Assert.Equal(billed + 1, gateway.Billed);
    }

    [Fact]
    public async Task The_cache_stays_within_its_size_and_evicts_the_least_recently_used_first()
    {
        const long Bound = 64 * 1024;
        await using var gateway = await StartAsync(o => o.Cache.Exact = new ExactCacheOptions { Enabled = true, MaxTotalBytes = Bound });
        using var http = gateway.Client("cy", "core");
        var store = gateway.App.Services.GetRequiredService<IResponseCacheStore>();
        long written = 0;
        var asked = 0;
        while (written < 3 * Bound && asked < 400)
        {
            var (status, cache, body) = await Ask(http, "question " + asked++, maxTokens: 1000);
            Assert.Equal((HttpStatusCode.OK, "miss"), (status, cache));
            written += Encoding.UTF8.GetByteCount(body);
            gateway.Clock.Advance(TimeSpan.FromSeconds(1));
            if (asked == 3) Assert.Equal("hit", (await Ask(http, "question 0", maxTokens: 1000)).Cache); // question 0 used again: younger than 1 and 2
            Assert.InRange(store.TotalBytes(), 1, Bound);
        }
        Assert.True(written >= 3 * Bound, $"only {written} bytes of answers in {asked} requests");
        Assert.Equal("hit", (await Ask(http, "question " + (asked - 1), maxTokens: 1000)).Cache);
        Assert.Equal("miss", (await Ask(http, "question 1", maxTokens: 1000)).Cache);
    }

    [Fact]
    public async Task A_hit_needs_no_budget_and_books_nothing()
    {
        await using var gateway = await StartAsync(o =>
        {
            o.Cache.Exact = new ExactCacheOptions { Enabled = true };
            o.Budgets.People["dee"] = new BudgetOptions { LimitUsd = 0.00005m, Period = "daily" };
        });
        using var http = gateway.Client("dee", "core");
        var first = await Ask(http, "budget");
        Assert.Equal((HttpStatusCode.OK, "miss"), (first.Status, first.Cache));
        var engine = gateway.App.Services.GetRequiredService<Gateway.Budgets.BudgetEngine>();
        decimal Spent() => engine.Book.For("dee", "core", null, gateway.Clock.GetUtcNow()).Single(s => s.BudgetId == "person:dee").Spent;
        var spent = Spent();
        Assert.True(spent > 0);

        // Another question cannot be admitted (its worst case exceeds what is left); the same one is a hit, free.
        Assert.Equal(HttpStatusCode.PaymentRequired, (await Ask(http, "another")).Status);
        for (var i = 0; i < 6; i++)
        {
            var hit = await Ask(http, "budget");
            Assert.Equal((HttpStatusCode.OK, "hit"), (hit.Status, hit.Cache));
        }
        Assert.Equal(spent, Spent());

        await gateway.App.FlushLedgerAsync();
        var rows = gateway.App.Services.GetRequiredService<TokenOps.Core.Ledger.ILedgerStore>().Read();
        var hits = rows.Where(r => r.CacheHit == "exact").ToList();
        Assert.Equal(6, hits.Count);
        Assert.All(hits, h => Assert.Equal((0L, SavingsLevers.CacheHit), (h.CostNanos, h.Levers)));
        Assert.Null(rows.Single(r => r.Status == 402).CacheHit);
    }
}
