using TokenOps.Cli.Simulation;
using System.Net;
using System.Text.Json;
using FsCheck;
using FsCheck.Xunit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using TokenOps.Core.Budgets;
using TokenOps.Core.Pricing;
using TokenOps.Gateway.Configuration;
using TokenOps.Gateway.Tests.Infrastructure;
using TokenOps.Storage.Sqlite;

namespace TokenOps.Gateway.Tests.Budgets;

/// <summary>A period boundary through the real gateway on a fake clock.</summary>
public sealed class BudgetClockTests
{
    [Fact]
    public async Task DailyBudget_RefusesUntilMidnight_ThenServesAgain_WeeklyBudgetKeepsCounting()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 24, 23, 58, 0, TimeSpan.Zero)); // a Tuesday
        var dir = Path.Combine(Path.GetTempPath(), "tokenops-tests", Guid.NewGuid().ToString("N"));
        var options = new GatewayOptions { DataDirectory = dir };
        options.Budgets.People["uma"] = new BudgetOptions { LimitUsd = 0.00005m, Period = "daily" };
        options.Budgets.Teams["core"] = new BudgetOptions { LimitUsd = 1m, Period = "weekly" };
        await using var simulator = await SimulatedProvider.StartAsync();
        var app = await GatewayHost.StartAsync(new GatewaySettings
        {
            Options = options, Urls = ["http://127.0.0.1:0"], SimulatorUrl = simulator.Url, Time = clock, MinimumLogLevel = LogLevel.Warning,
        });
        try
        {
            var key = app.Services.GetRequiredService<IKeyStore>().Create("uma", "core").Secret;
            using var http = new HttpClient { BaseAddress = app.BaseUrl, Timeout = TimeSpan.FromSeconds(30) };
            http.DefaultRequestHeaders.Authorization = new("Bearer", key);

            using var first = await http.SendAsync(BudgetRequests.Chat(maxTokens: 64));
            using var second = await http.SendAsync(BudgetRequests.Chat(maxTokens: 64));
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
            Assert.Equal(HttpStatusCode.PaymentRequired, second.StatusCode);
            using (var body = JsonDocument.Parse(await second.Content.ReadAsStringAsync()))
                Assert.Equal("2026-11-25T00:00:00Z", body.RootElement.GetProperty("error").GetProperty("resets_at").GetString());

            clock.SetUtcNow(new DateTimeOffset(2026, 11, 25, 0, 0, 30, TimeSpan.Zero));
            using var third = await http.SendAsync(BudgetRequests.Chat(maxTokens: 64));
            Assert.Equal(HttpStatusCode.OK, third.StatusCode);

            await app.FlushLedgerAsync();
            var rows = app.Services.GetRequiredService<TokenOps.Core.Ledger.ILedgerStore>().Read();
            Assert.Equal(3, rows.Count);
            var engine = app.Services.GetRequiredService<Gateway.Budgets.BudgetEngine>();
            var snapshots = engine.Book.For("uma", "core", null, clock.GetUtcNow());
            var person = snapshots.Single(s => s.BudgetId == "person:uma");
            var team = snapshots.Single(s => s.BudgetId == "team:core");
            Assert.Equal(new DateTimeOffset(2026, 11, 25, 0, 0, 0, TimeSpan.Zero), person.PeriodStart);
            Assert.Equal(NanoUsd.ToUsd(rows.Where(r => r.StartedAt >= person.PeriodStart).Sum(r => r.CostNanos)), person.Spent);
            Assert.Equal(NanoUsd.ToUsd(rows.Sum(r => r.CostNanos)), team.Spent); // same week: both days count
            Assert.True(person.Spent < team.Spent);
        }
        finally
        {
            await app.DisposeAsync();
            try { Directory.Delete(dir, true); } catch (IOException) { }
        }
    }
}

/// <summary>Random budgets and max_tokens through the real gateway: concurrent requests never overshoot, nothing stays reserved.</summary>
public sealed class BudgetGatewayPropertyTests(SharedGateway shared) : IClassFixture<SharedGateway>
{
    private static int _case;

    [Property(MaxTest = 12)]
    public bool RandomBudgetsAndMaxTokens_NeverOvershoot(PositiveInt limitMicroUsd, NonEmptyArray<PositiveInt> maxTokens)
    {
        var gateway = shared.Gateway;
        var person = $"prop{Interlocked.Increment(ref _case)}";
        var limit = (limitMicroUsd.Get % 3000 + 1) / 1_000_000m;
        var store = gateway.App.Services.GetRequiredService<IBudgetStore>();
        store.Set(new StoredBudget("person:" + person, BudgetLevel.Person, person, NanoUsd.FromUsd(limit), "daily", "UTC",
            BudgetMode.Hard, SoftAction.Warn, false, 0, DateTimeOffset.UnixEpoch));
        gateway.Engine().RefreshIfChanged();
        using var http = gateway.Client(gateway.CreateKey(person, "props"));

        var requests = maxTokens.Get.Take(16).Select(async m =>
        {
            using var response = await http.SendAsync(BudgetRequests.Chat(maxTokens: m.Get % 600 + 1, stream: m.Get % 2 == 0));
            await response.Content.ReadAsStringAsync();
            return response.StatusCode;
        }).ToArray();
        var statuses = Task.WhenAll(requests).WaitAsync(TimeSpan.FromSeconds(60)).GetAwaiter().GetResult();
        var snapshot = gateway.SettledSnapshotsAsync().GetAwaiter().GetResult().Single(s => s.BudgetId == "person:" + person);
        var spent = gateway.LedgerAsync().GetAwaiter().GetResult().Where(r => r.Person == person).Sum(r => r.CostNanos);
        return statuses.All(s => s is HttpStatusCode.OK or HttpStatusCode.PaymentRequired)
            && spent <= NanoUsd.FromUsd(limit)
            && snapshot.Reserved == 0
            && NanoUsd.FromUsd(snapshot.Spent) == spent;
    }
}
