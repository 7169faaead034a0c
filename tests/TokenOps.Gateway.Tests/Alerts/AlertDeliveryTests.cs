using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using TokenOps.Core.Alerts;
using TokenOps.Core.Budgets;
using TokenOps.Core.Ledger;
using TokenOps.Gateway.Alerts;
using TokenOps.Gateway.Configuration;
using TokenOps.Storage.Sqlite;

namespace TokenOps.Gateway.Tests.Alerts;

public sealed class AlertDeliveryTests : IDisposable
{
    private static readonly DateTimeOffset November = new(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset December = new(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "tokenops-alerts", Guid.NewGuid().ToString("N"));
    private readonly ManualClock _clock = new(new DateTimeOffset(2026, 11, 21, 9, 0, 0, TimeSpan.Zero));
    private readonly TestBudgets _budgets = new();

    private static BudgetSnapshot Payments(decimal spent, decimal limit = 100m, DateTimeOffset? start = null) =>
        new("team:payments", BudgetLevel.Team, "payments", limit, spent, 0m, start ?? November, (start ?? November).AddMonths(1), true);

    private (SqliteAlertStore Store, AlertEngine Engine, WebhookDeliverer Deliverer) Open(AlertOptions options, HttpClient http)
    {
        var database = new SqliteDatabase(_dir);
        var store = new SqliteAlertStore(database);
        var engine = new AlertEngine(store, new SqliteSpendQueries(database), options, _clock, _budgets);
        return (store, engine, new WebhookDeliverer(store, options, _clock, http, NullLogger<WebhookDeliverer>.Instance));
    }

    // Threshold alerts only (with no ledger history, the period-to-date forecast would also fire); the forecast test turns them on.
    private static AlertOptions Options(params WebhookOptions[] hooks) =>
        new() { Webhooks = [.. hooks], InitialBackoffSeconds = 5, MaxBackoffSeconds = 60, Forecasts = false };

    [Fact]
    public async Task FailingWebhook_IsRetriedWithBackoff_AndDeliveredExactlyOnce()
    {
        await using var slack = await WebhookReceiver.StartAsync(failFirst: 2);
        await using var json = await WebhookReceiver.StartAsync();
        using var http = Http();
        var (store, engine, deliverer) = Open(Options(
            new WebhookOptions { Url = slack.Url.ToString(), Format = "slack" },
            new WebhookOptions { Url = json.Url.ToString(), Format = "json" }), http);
        _budgets.Items.Add(Payments(85m));

        var alert = Assert.Single(engine.Evaluate());
        Assert.Equal(80, alert.Threshold);

        Assert.Equal(1, await deliverer.DeliverDueAsync());        // json delivered, slack: 503 (retry in 5 s)
        _clock.Advance(TimeSpan.FromSeconds(4));
        Assert.Equal(0, await deliverer.DeliverDueAsync());        // not due yet: no request sent
        Assert.Single(slack.Requests);
        _clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(0, await deliverer.DeliverDueAsync());        // second 503 (retry in 10 s)
        _clock.Advance(TimeSpan.FromSeconds(9));
        Assert.Equal(0, await deliverer.DeliverDueAsync());
        Assert.Equal(2, slack.Requests.Count);
        _clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(1, await deliverer.DeliverDueAsync());        // third attempt succeeds
        _clock.Advance(TimeSpan.FromHours(2));
        Assert.Equal(0, await deliverer.DeliverDueAsync());
        Assert.Empty(engine.Evaluate());

        Assert.Equal([503, 503, 200], slack.Requests.Select(r => r.Status));
        using (var body = JsonDocument.Parse(Assert.Single(slack.Accepted)))
        {
            Assert.Equal(["text"], body.RootElement.EnumerateObject().Select(p => p.Name));
            Assert.Equal(alert.Message, body.RootElement.GetProperty("text").GetString());
        }
        using (var body = JsonDocument.Parse(Assert.Single(json.Requests).Body))
        {
            var root = body.RootElement;
            Assert.Equal("threshold", root.GetProperty("kind").GetString());
            Assert.Equal("team:payments", root.GetProperty("budget").GetString());
            Assert.Equal("team", root.GetProperty("level").GetString());
            Assert.Equal("payments", root.GetProperty("name").GetString());
            Assert.Equal(80, root.GetProperty("threshold").GetInt32());
            Assert.Equal(85m, root.GetProperty("spent_usd").GetDecimal());
            Assert.Equal(100m, root.GetProperty("limit_usd").GetDecimal());
            Assert.Equal(JsonValueKind.Null, root.GetProperty("projected_exhaustion").ValueKind);
            Assert.Equal(alert.Id, root.GetProperty("id").GetString());
            Assert.StartsWith("2026-12-01T00:00:00", root.GetProperty("period_end").GetString());
        }
        var deliveries = Assert.Single(store.List()).Deliveries;
        Assert.All(deliveries, d => Assert.NotNull(d.DeliveredAt));
        Assert.Equal([3, 1], deliveries.OrderBy(d => d.Webhook.StartsWith("json", StringComparison.Ordinal)).Select(d => d.Attempts));
    }

    [Fact]
    public async Task FailingWebhook_IsNotRetriedInTheSamePass()
    {
        await using var receiver = await WebhookReceiver.StartAsync(failFirst: 1);
        using var http = Http();
        var (_, engine, deliverer) = Open(Options(new WebhookOptions { Url = receiver.Url.ToString(), Format = "json" }), http);
        _budgets.Items.Add(Payments(85m));
        _budgets.Items.Add(new BudgetSnapshot("person:ada", BudgetLevel.Person, "ada", 10m, 6m, 0m, November, December, false));
        Assert.Equal(2, engine.Evaluate().Count);
        Assert.Equal(0, await deliverer.DeliverDueAsync());
        Assert.Single(receiver.Requests);               // the second alert waited for the next pass
        _clock.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(2, await deliverer.DeliverDueAsync());
        Assert.Equal([503, 200, 200], receiver.Requests.Select(r => r.Status));
        Assert.Equal(2, receiver.Accepted.Select(b => JsonDocument.Parse(b).RootElement.GetProperty("id").GetString()).Distinct().Count());
    }

    [Fact]
    public void Levels_KeepOtherBudgetsQuiet()
    {
        using var http = Http();
        var options = Options();
        options.Levels = ["team"];
        var (_, engine, _) = Open(options, http);
        _budgets.Items.Add(Payments(85m));
        _budgets.Items.Add(new BudgetSnapshot("person:ada", BudgetLevel.Person, "ada", 10m, 9m, 0m, November, December, false));
        Assert.Equal(["team:payments"], engine.Evaluate().Select(a => a.BudgetId));
    }

    [Fact]
    public async Task WebhookDown_ThenRestart_LosesNothing_AndSendsNothingTwice()
    {
        var deadPort = FreePort();
        using var http = Http();
        var first = Open(Options(new WebhookOptions { Name = "ops", Url = $"http://127.0.0.1:{deadPort}/hook", Format = "json" }), http);
        _budgets.Items.Add(Payments(55m));
        var alert = Assert.Single(first.Engine.Evaluate());
        Assert.Equal(0, await first.Deliverer.DeliverDueAsync());   // connection refused
        _clock.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(0, await first.Deliverer.DeliverDueAsync());   // still down
        var pending = Assert.Single(Assert.Single(first.Store.List()).Deliveries);
        Assert.Equal((2, (DateTimeOffset?)null), (pending.Attempts, pending.DeliveredAt));
        Assert.NotNull(pending.LastError);

        // "Restart": a new process opens the same data directory; the webhook is back (at a new address, same name).
        SqliteConnection.ClearAllPools();
        await using var receiver = await WebhookReceiver.StartAsync();
        var second = Open(Options(new WebhookOptions { Name = "ops", Url = receiver.Url.ToString(), Format = "json" }), http);
        Assert.Empty(second.Engine.Evaluate());                       // same budget, same period: not raised again
        _clock.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(1, await second.Deliverer.DeliverDueAsync());
        _clock.Advance(TimeSpan.FromHours(1));
        Assert.Equal(0, await second.Deliverer.DeliverDueAsync());
        using var body = JsonDocument.Parse(Assert.Single(receiver.Requests).Body);
        Assert.Equal(alert.Id, body.RootElement.GetProperty("id").GetString());
        Assert.Equal(50, body.RootElement.GetProperty("threshold").GetInt32());
    }

    [Fact]
    public async Task EachAlert_IsSentOncePerBudgetAndPeriod()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        using var http = Http();
        var (store, engine, deliverer) = Open(Options(new WebhookOptions { Url = receiver.Url.ToString(), Format = "json" }), http);
        async Task Step(decimal spent, DateTimeOffset? period = null)
        {
            _budgets.Items.Clear();
            _budgets.Items.Add(Payments(spent, start: period));
            for (var i = 0; i < 3; i++)
            {
                engine.Evaluate();
                await deliverer.DeliverDueAsync();
                _clock.Advance(TimeSpan.FromHours(1));
            }
        }
        await Step(55m);                 // 50%
        await Step(60m);                 // still 50%: nothing new
        await Step(85m);                 // 80%
        await Step(90m);                 // nothing new
        await Step(101m);                // 100%
        _clock.Now = December.AddDays(2);
        await Step(55m, December);       // a new period: 50% again

        var sent = receiver.Requests.Select(r => JsonDocument.Parse(r.Body).RootElement)
            .Select(e => (e.GetProperty("threshold").GetInt32(), e.GetProperty("period_start").GetString()![..10])).ToList();
        Assert.Equal([(50, "2026-11-01"), (80, "2026-11-01"), (100, "2026-11-01"), (50, "2026-12-01")], sent);
        Assert.Equal(4, store.List().Count);
    }

    [Fact]
    public void ForecastAlert_UsesTheLedgerSpendOfTheBudgetsScopeOnly()
    {
        _clock.Now = new DateTimeOffset(2026, 11, 21, 0, 0, 0, TimeSpan.Zero);
        var ledger = new SqliteLedgerStore(new SqliteDatabase(_dir));
        var rows = new List<LedgerEntry>();
        foreach (var day in new[] { 18, 19, 20 })
        {
            var at = new DateTimeOffset(2026, 11, day, 10, 0, 0, TimeSpan.Zero);
            rows.Add(Row($"p{day}a", at, "payments", 2m));
            rows.Add(Row($"p{day}b", at.AddHours(5), "payments", 2m));
            rows.Add(Row($"o{day}", at, "other", 100m));
        }
        ledger.Write(rows);
        using var http = Http();
        var options = Options();
        options.Forecasts = true;
        var (_, engine, _) = Open(options, http);
        _budgets.Items.Add(Payments(60m, limit: 81m));

        var alerts = engine.Evaluate();
        var forecast = Assert.Single(alerts, a => a.Kind == AlertKind.Forecast);
        // $4/day (payments only): $21 left lasts 5.25 days.
        Assert.Equal("At the current burn rate team payments runs out on 26 November, 5 days before the period ends ($60.00 of $81.00 spent).", forecast.Message);
        var f = Assert.Single(engine.Forecasts());
        Assert.Equal(4m, f.Rate.MeanPerDay);
        // The organisation spent $104/day: 31 days of December.
        Assert.Equal(3224m, Math.Round(engine.OrganisationNextPeriod().Mid, 6));
    }

    /// <summary>
    /// A new user's first minutes: one 0.6-second burst of requests on 2 December is not a burn rate. Extrapolated from
    /// the period so far it "runs out on 5 December"; a forecast alert needs several days of spend at a steady rate.
    /// </summary>
    [Fact]
    public void NoForecastAlert_FromOneBurst_OnTheSecondDayOfTheMonth()
    {
        var burst = new DateTimeOffset(2026, 12, 2, 10, 0, 0, TimeSpan.Zero);
        var ledger = new SqliteLedgerStore(new SqliteDatabase(_dir));
        ledger.Write(Enumerable.Range(0, 30).Select(i => Row($"b{i}", burst.AddMilliseconds(i * 20), "payments", 0.1m)).ToList());
        _clock.Now = burst.AddMilliseconds(600);
        using var http = Http();
        var options = Options();
        options.Forecasts = true;
        var (_, engine, _) = Open(options, http);
        _budgets.Items.Add(Payments(3m, limit: 10m, start: December));

        // The forecast itself still says what the period so far extrapolates to (status and the dashboard show it)...
        var f = Assert.Single(engine.Forecasts());
        Assert.True(f.RunsOutBeforePeriodEnd);
        Assert.Equal(1, f.DaysOfData);
        // ...but it is not evidence enough to alert anyone.
        Assert.DoesNotContain(engine.Evaluate(), a => a.Kind == AlertKind.Forecast);

        // Three more days at that pace: a steady rate over four days of spend, and the alert fires.
        ledger.Write(Enumerable.Range(3, 3).Select(d => Row($"d{d}", new DateTimeOffset(2026, 12, d, 11, 0, 0, TimeSpan.Zero), "payments", 2.9m)).ToList());
        _clock.Now = new DateTimeOffset(2026, 12, 6, 0, 0, 0, TimeSpan.Zero);
        _budgets.Items[0] = Payments(11.7m - 3m, limit: 12m, start: December);
        Assert.Contains(engine.Evaluate(), a => a.Kind == AlertKind.Forecast);
    }

    /// <summary>Days of spend, but one of them a burst: the rate is too unsteady to promise an exhaustion day.</summary>
    [Fact]
    public void NoForecastAlert_WhenTheDailySpendIsUnsteady()
    {
        var ledger = new SqliteLedgerStore(new SqliteDatabase(_dir));
        ledger.Write([
            Row("s18", new DateTimeOffset(2026, 11, 18, 12, 0, 0, TimeSpan.Zero), "payments", 0.05m),
            Row("s19", new DateTimeOffset(2026, 11, 19, 12, 0, 0, TimeSpan.Zero), "payments", 30m),
            Row("s20", new DateTimeOffset(2026, 11, 20, 12, 0, 0, TimeSpan.Zero), "payments", 0.05m),
        ]);
        _clock.Now = new DateTimeOffset(2026, 11, 21, 0, 0, 0, TimeSpan.Zero);
        using var http = Http();
        var options = Options();
        options.Forecasts = true;
        var (_, engine, _) = Open(options, http);
        _budgets.Items.Add(Payments(30.1m, limit: 60m));
        var f = Assert.Single(engine.Forecasts());
        Assert.True(f.RunsOutBeforePeriodEnd);
        Assert.True(f.Rate.Variation > options.ForecastMaxVariation);
        Assert.DoesNotContain(engine.Evaluate(), a => a.Kind == AlertKind.Forecast);
        // Allowed to be that unsteady, it alerts.
        options.ForecastMaxVariation = 10m;
        var (_, lenient, _) = Open(options, http);
        Assert.Contains(lenient.Evaluate(), a => a.Kind == AlertKind.Forecast);
    }

    [Fact]
    public void QuietWeeks_CountAsZeroDays_NotAsAShortHistory()
    {
        _clock.Now = new DateTimeOffset(2026, 11, 21, 0, 0, 0, TimeSpan.Zero);
        var ledger = new SqliteLedgerStore(new SqliteDatabase(_dir));
        ledger.Write([
            Row("old", new DateTimeOffset(2026, 9, 1, 12, 0, 0, TimeSpan.Zero), "payments", 500m),
            .. new[] { 18, 19, 20 }.Select(d => Row($"p{d}", new DateTimeOffset(2026, 11, d, 12, 0, 0, TimeSpan.Zero), "payments", 7m)),
        ]);
        using var http = Http();
        var (_, engine, _) = Open(Options(), http);
        _budgets.Items.Add(Payments(21m, limit: 1000m));
        var rate = Assert.Single(engine.Forecasts()).Rate;
        // $21 over the 28-day window (the September spend is outside it but shows the scope is not new).
        Assert.Equal(28, rate.HistoryDays);
        Assert.Equal(Math.Round(21m / 28m, 10), Math.Round(rate.MeanPerDay, 10));
    }

    [Fact]
    public async Task BackgroundService_EvaluatesAndDelivers_OnItsOwn()
    {
        await using var receiver = await WebhookReceiver.StartAsync(failFirst: 1);
        using var http = Http();
        var options = new AlertOptions
        {
            Webhooks = [new WebhookOptions { Url = receiver.Url.ToString(), Format = "slack" }],
            EvaluateEverySeconds = 0.1, InitialBackoffSeconds = 0.05, MaxBackoffSeconds = 0.2, Forecasts = false,
        };
        var database = new SqliteDatabase(_dir);
        var store = new SqliteAlertStore(database);
        _budgets.Items.Add(Payments(100m));
        var service = new AlertService(new AlertEngine(store, new SqliteSpendQueries(database), options, TimeProvider.System, _budgets),
            new WebhookDeliverer(store, options, TimeProvider.System, http),
            new TokenOps.Gateway.Waste.WasteDigest(store, new SqliteWasteRowReader(database), new SqliteKeyStore(database, TimeProvider.System),
                new SqliteOutcomeStore(database, TimeProvider.System), new SqliteBudgetStore(database, TimeProvider.System), () => BundledCatalog.Load(),
                new GatewayOptions { Alerts = options }, TimeProvider.System, NullLogger<TokenOps.Gateway.Waste.WasteDigest>.Instance),
            options, TimeProvider.System, NullLogger<AlertService>.Instance);
        await service.StartAsync(CancellationToken.None);
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (receiver.Accepted.Count == 0 && DateTime.UtcNow < deadline) await Task.Delay(50);
        await Task.Delay(300);
        await service.StopAsync(CancellationToken.None);
        var text = JsonDocument.Parse(Assert.Single(receiver.Accepted)).RootElement.GetProperty("text").GetString();
        Assert.Contains("team payments has used 100% of its budget", text);
        Assert.Equal(2, receiver.Requests.Count);
    }

    [Fact]
    public void Config_BadWebhook_FailsAtLoad_NamingTheKey()
    {
        Directory.CreateDirectory(_dir);
        var path = Path.Combine(_dir, "tokenops.json");
        File.WriteAllText(path, """{ "alerts": { "webhooks": [ { "url": "http://127.0.0.1:1/x", "format": "teams" } ] } }""");
        var ex = Assert.Throws<ConfigurationException>(() => ConfigurationLoader.Load(path));
        Assert.Contains("alerts.webhooks[0].format", ex.Message);
        File.WriteAllText(path, """{ "alerts": { "thresholds": [ 75, 95 ], "webhooks": [ { "url": "http://127.0.0.1:1/x", "format": "json" } ] } }""");
        Assert.Equal([75, 95], ConfigurationLoader.Load(path).Alerts.EffectiveThresholds);
        Assert.Equal([50, 80, 100], new AlertOptions().EffectiveThresholds);
        File.WriteAllText(path, """{ "alerts": { "levels": [ "team", "wizard" ] } }""");
        Assert.Contains("alerts.levels", Assert.Throws<ConfigurationException>(() => ConfigurationLoader.Load(path)).Message);
    }

    // Loopback receivers: never through a proxy the environment may configure.
    private static HttpClient Http() => new(new SocketsHttpHandler { UseProxy = false });

    private static LedgerEntry Row(string id, DateTimeOffset at, string team, decimal usd) => new()
    {
        Id = id, StartedAt = at, EndedAt = at, Route = "openai.chat", Person = team + "-dev", Team = team, RequestedModel = "gpt-4o-mini",
        Outcome = LedgerOutcome.Ok, Status = 200, CostNanos = (long)(usd * 1_000_000_000m),
    };

    private static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}
