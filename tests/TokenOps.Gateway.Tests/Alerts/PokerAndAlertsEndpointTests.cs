using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using TokenOps.Core.Alerts;
using TokenOps.Core.Budgets;
using TokenOps.Gateway.Tests.Infrastructure;
using TokenOps.Storage.Sqlite;

namespace TokenOps.Gateway.Tests.Alerts;

/// <summary>Token poker and alerts through the real gateway and the real CLI.</summary>
public sealed class PokerAndAlertsEndpointTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "tokenops-poker", Guid.NewGuid().ToString("N"));

    private static async Task ChatAsync(GatewayFixture gateway, string key, int times)
    {
        using var http = gateway.Client(key);
        for (var i = 0; i < times; i++)
        {
            using var response = await http.PostAsync("/v1/chat/completions",
                new StringContent("""{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hello"}]}""", Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
    }

    [Fact]
    public async Task EveryPlayer_SeesTheAnonymisedLeaderboard_WithTheirOwnRowMarked()
    {
        await using var gateway = await GatewayFixture.StartAsync(o => { o.Poker.Enabled = true; o.Poker.Anonymised = true; });
        var ada = gateway.CreateKey("ada_lovelace", "team_core");
        var bob = gateway.CreateKey("bob_kahn", "team_pay");
        await ChatAsync(gateway, ada, 3);
        await ChatAsync(gateway, bob, 1);
        await gateway.App.FlushLedgerAsync();

        using var player = gateway.Client(bob);
        using var response = await player.GetAsync("/v1/tokenops/poker");
        var text = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        foreach (var name in new[] { "ada_lovelace", "bob_kahn", "team_core", "team_pay" }) Assert.DoesNotContain(name, text);
        using var doc = JsonDocument.Parse(text);
        Assert.True(doc.RootElement.GetProperty("anonymised").GetBoolean());
        Assert.Equal("successful-requests-per-dollar", doc.RootElement.GetProperty("scoring").GetString());
        var players = doc.RootElement.GetProperty("players").EnumerateArray().ToList();
        Assert.Equal(["Player 1", "Player 2"], players.Select(p => p.GetProperty("player").GetString()));
        var me = Assert.Single(players, p => p.GetProperty("you").GetBoolean());
        // bob made one LLM request; the poker view itself is not counted as one.
        Assert.Equal(1, me.GetProperty("requests").GetInt64());
        Assert.Equal(4, players.Sum(p => p.GetProperty("successful_requests").GetInt64()));
        Assert.All(players, p => Assert.True(p.GetProperty("spent_usd").GetDecimal() > 0m));
        Assert.All(players, p => Assert.Equal(25m, p.GetProperty("hand_usd").GetDecimal()));

        // The view is authenticated and recorded like every /v1 request.
        using var anonymous = gateway.Client();
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/v1/tokenops/poker")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await player.GetAsync("/v1/tokenops/poker?week=soon")).StatusCode);
        var rows = await gateway.LedgerAsync(7);
        Assert.Equal(3, rows.Count(r => r.Route == "tokenops.poker"));
        Assert.All(rows.Where(r => r.Route == "tokenops.poker"), r => Assert.Equal(0, r.CostNanos));

        using var admin = gateway.Client();
        admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", GatewayFixture.AdminToken);
        var adminView = await admin.GetStringAsync($"/admin/poker?week={DateTime.UtcNow:yyyy-MM-dd}");
        Assert.DoesNotContain("ada_lovelace", adminView);
        Assert.Equal(2, JsonDocument.Parse(adminView).RootElement.GetProperty("players").GetArrayLength());
        // The only budgets are the two players' poker hands, far from any threshold: no alerts, one forecast per hand.
        Assert.Equal("[]", await admin.GetStringAsync("/admin/alerts"));
        using var forecasts = JsonDocument.Parse(await admin.GetStringAsync("/admin/forecasts"));
        Assert.Equal(2, forecasts.RootElement.GetProperty("budgets").GetArrayLength());
        Assert.True(forecasts.RootElement.GetProperty("organisation_next_period").GetProperty("mid_usd").GetDecimal() >= 0m);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/admin/alerts")).StatusCode);
    }

    [Fact]
    public async Task NamedView_ShowsNamesAndTeams()
    {
        await using var gateway = await GatewayFixture.StartAsync(o => o.Poker.Enabled = true);
        var ada = gateway.CreateKey("ada_lovelace", "team_core");
        await ChatAsync(gateway, ada, 1);
        await gateway.App.FlushLedgerAsync();
        using var http = gateway.Client(ada);
        using var doc = JsonDocument.Parse(await http.GetStringAsync("/v1/tokenops/poker"));
        var row = Assert.Single(doc.RootElement.GetProperty("players").EnumerateArray());
        Assert.Equal(("ada_lovelace", "team_core", true, true), (row.GetProperty("player").GetString(), row.GetProperty("team").GetString(),
            row.GetProperty("you").GetBoolean(), row.GetProperty("winner").GetBoolean()));
    }

    [Fact]
    public async Task PokerDisabled_NoOneSeesOthersSpend()
    {
        await using var gateway = await GatewayFixture.StartAsync();
        using var http = gateway.Client(gateway.CreateKey("ada_lovelace", "team_core"));
        using var response = await http.GetAsync("/v1/tokenops/poker");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("poker_disabled", await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("""{"poker":{"scoring":"vibes"}}""", "poker.scoring")]
    [InlineData("""{"poker":{"timeZone":"Mars/Olympus"}}""", "poker.timeZone")]
    [InlineData("""{"alerts":{"webhooks":[{"url":"ftp://x","format":"json"}]}}""", "alerts.webhooks[0]")]
    public async Task BadPokerOrAlertConfig_FailsAtStart_NamingTheKey(string json, string named)
    {
        Directory.CreateDirectory(_dir);
        var path = Path.Combine(_dir, "tokenops.json");
        await File.WriteAllTextAsync(path, json);
        var (exit, _, stderr) = await CliProcess.RunAsync("serve", "--config", path, "--urls", "http://127.0.0.1:0", "--data", _dir);
        Assert.Equal(2, exit);
        Assert.Single(stderr.Trim().Split('\n'));
        Assert.Contains(named, stderr);
    }

    [Fact]
    public async Task Cli_ListsAlertsWithDeliveryState_AndThePokerLeaderboard()
    {
        var database = new SqliteDatabase(_dir);
        var budget = new BudgetSnapshot("team:payments", BudgetLevel.Team, "payments", 100m, 85m, 0m,
            new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero), new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero), true);
        var alert = new AlertRules(forecasts: false).Evaluate(budget, null, new DateTimeOffset(2026, 11, 20, 8, 0, 0, TimeSpan.Zero)).Single();
        var store = new SqliteAlertStore(database);
        Assert.True(store.TryAdd(alert, ["ops", "slack-1234abcd"]));
        store.MarkDelivered(alert.Id, "ops", new DateTimeOffset(2026, 11, 20, 8, 0, 1, TimeSpan.Zero));
        store.MarkFailed(alert.Id, "slack-1234abcd", new DateTimeOffset(2026, 11, 20, 8, 0, 6, TimeSpan.Zero), "HTTP 503");
        new SqliteKeyStore(database, TimeProvider.System).Create("mia", "data");
        SqliteConnection.ClearAllPools();

        var (exit, stdout, stderr) = await CliProcess.RunAsync("alerts", "--data", _dir);
        Assert.True(exit == 0, stderr);
        Assert.Contains(alert.Message, stdout);
        Assert.Contains("ops: delivered 2026-11-20 08:00:01 after 1 attempt", stdout);
        Assert.Contains("slack-1234abcd: pending, 1 failed attempt (HTTP 503), next 2026-11-20 08:00:06", stdout);

        (exit, stdout, _) = await CliProcess.RunAsync("alerts", "--data", _dir, "--format", "json");
        Assert.Equal(0, exit);
        using (var line = JsonDocument.Parse(stdout.Trim()))
        {
            Assert.Equal(80, line.RootElement.GetProperty("threshold").GetInt32());
            Assert.Equal(2, line.RootElement.GetProperty("deliveries").GetArrayLength());
        }

        (exit, stdout, stderr) = await CliProcess.RunAsync("poker", "--data", _dir, "--week", "2026-11-25");
        Assert.True(exit == 0, stderr);
        Assert.Contains("week of 2026-11-23", stdout);
        Assert.Contains("mia", stdout);
        Assert.Contains("successful-requests-per-dollar", stdout);

        // The CLI offers the policies the gateway does, the outcomes' value per dollar included.
        var pokerConfig = Path.Combine(_dir, "poker.json");
        await File.WriteAllTextAsync(pokerConfig, """{ "poker": { "enabled": true, "scoring": "outcome-value-per-dollar" } }""");
        (exit, stdout, stderr) = await CliProcess.RunAsync("poker", "--data", _dir, "--config", pokerConfig, "--week", "2026-11-25");
        Assert.True(exit == 0, stderr);
        Assert.Contains("scoring: outcome-value-per-dollar", stdout);

        (exit, stdout, stderr) = await CliProcess.RunAsync("forecast", "--data", _dir);
        Assert.True(exit == 0, stderr);
        Assert.Contains("Organisation, ", stdout);
        Assert.Contains("data", stdout); // mia's team, with no spend yet

        (exit, _, stderr) = await CliProcess.RunAsync("poker", "--data", _dir, "--week", "next-tuesday");
        Assert.Equal(2, exit);
        Assert.StartsWith("tokenops: --week", stderr);
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}
