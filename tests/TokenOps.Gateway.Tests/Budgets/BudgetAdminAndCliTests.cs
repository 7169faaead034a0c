using Microsoft.Extensions.DependencyInjection;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using TokenOps.Core.Budgets;
using TokenOps.Gateway.Budgets;
using TokenOps.Gateway.Configuration;
using TokenOps.Gateway.Tests.Infrastructure;
using TokenOps.Storage.Sqlite;

namespace TokenOps.Gateway.Tests.Budgets;

/// <summary>Budgets through the CLI (also beside a running gateway on the same data directory) and the admin API; poker hands.</summary>
public sealed class BudgetAdminAndCliTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "tokenops-budgets", Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task CliBudgetsSet_WhileTheGatewayRuns_IsEnforcedWithinSeconds()
    {
        await using var gateway = await GatewayFixture.StartAsync();
        using var http = gateway.Client(gateway.CreateKey("kim", "core"));
        using (var before = await http.SendAsync(BudgetRequests.Chat())) Assert.Equal(HttpStatusCode.OK, before.StatusCode);

        var (exit, stdout, stderr) = await CliProcess.RunAsync("budgets", "set", "--person", "kim", "--limit", "0.000001", "--period", "daily", "--data", gateway.DataDirectory);
        Assert.True(exit == 0, stderr);
        Assert.Contains("person:kim", stdout);

        var deadline = DateTime.UtcNow.AddSeconds(10);
        HttpStatusCode status;
        do
        {
            await Task.Delay(200);
            using var response = await http.SendAsync(BudgetRequests.Chat());
            status = response.StatusCode;
        }
        while (status == HttpStatusCode.OK && DateTime.UtcNow < deadline);
        Assert.Equal(HttpStatusCode.PaymentRequired, status);

        // Alerts are raised by the gateway's evaluation loop; run one pass now instead of waiting for it.
        var raised = gateway.App.Services.GetRequiredService<TokenOps.Gateway.Alerts.AlertEngine>().Evaluate();
        Assert.Contains(raised, a => a.BudgetId == "person:kim" && a.Threshold == 100);

        var (statusExit, statusOut, _) = await CliProcess.RunAsync("status", "--person", "kim", "--data", gateway.DataDirectory);
        Assert.Equal(0, statusExit);
        var kimLine = statusOut.Split('\n').Single(l => l.StartsWith("person:kim", StringComparison.Ordinal));
        Assert.Matches(@"\$\d+\.\d\d \(\$\d+\.\d\d-\d+\.\d\d\)", kimLine); // forecast at reset with its band
        Assert.Contains("100% reached", kimLine);
        using var admin = gateway.Client(GatewayFixture.AdminToken);
        using var live = System.Text.Json.JsonDocument.Parse(await admin.GetStringAsync("/admin/status?person=kim"));
        var kim = live.RootElement.EnumerateArray().Single(l => l.GetProperty("budget").GetString() == "person:kim");
        Assert.StartsWith("$", kim.GetProperty("forecast").GetString());
        Assert.Contains("100% reached", kim.GetProperty("alerts").EnumerateArray().Select(a => a.GetString()));
        var (listExit, listOut, _) = await CliProcess.RunAsync("budgets", "list", "--data", gateway.DataDirectory);
        Assert.Equal(0, listExit);
        Assert.Contains("person:kim", listOut);
    }

    [Theory]
    [InlineData("budgets", "set", "--limit", "5")]
    [InlineData("budgets", "set", "--team", "a", "--person", "b", "--limit", "5")]
    [InlineData("budgets", "set", "--team", "a", "--limit", "5", "--period", "yearly")]
    [InlineData("budgets", "set", "--team", "a", "--limit", "5", "--mode", "sometimes")]
    [InlineData("budgets", "set", "--team", "a", "--limit", "5", "--time-zone", "Mars/Olympus")]
    [InlineData("budgets", "set", "--team", "a", "--limit", "-1")]
    [InlineData("budgets", "show", "team:none")]
    [InlineData("status", "--person", "nobody")]
    public async Task BadBudgetInput_OneLineError_Exit2(params string[] args)
    {
        var (exit, _, stderr) = await CliProcess.RunAsync([.. args, "--data", _dir]);
        Assert.Equal(2, exit);
        Assert.Single(stderr.Trim().Split('\n'));
        Assert.StartsWith("tokenops: ", stderr);
    }

    [Fact]
    public async Task AdminApi_PutGetStatus()
    {
        await using var gateway = await GatewayFixture.StartAsync(o => o.Budgets.Organisation = new BudgetOptions { LimitUsd = 100m });
        var key = gateway.CreateKey("lee", "core");
        using var admin = gateway.Client();
        admin.DefaultRequestHeaders.Authorization = new("Bearer", GatewayFixture.AdminToken);
        using var anonymous = gateway.Client();

        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/admin/budgets")).StatusCode);
        using var put = await admin.PutAsJsonAsync("/admin/budgets", new { level = "team", name = "core", limitUsd = 20m, period = "weekly", mode = "soft", softAction = "warn" });
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        using var bad = await admin.PutAsJsonAsync("/admin/budgets", new { level = "team", name = "core", limitUsd = 20m, period = "fortnightly" });
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        using (var served = await gateway.Client(key).SendAsync(BudgetRequests.Chat())) Assert.Equal(HttpStatusCode.OK, served.StatusCode);
        await gateway.SettledSnapshotsAsync();

        using var list = JsonDocument.Parse(await admin.GetStringAsync("/admin/budgets"));
        Assert.Equal(["org", "team:core"], list.RootElement.EnumerateArray().Select(b => b.GetProperty("id").GetString()));
        Assert.Equal("stored", list.RootElement[1].GetProperty("source").GetString());
        using var one = JsonDocument.Parse(await admin.GetStringAsync("/admin/budgets/team:core"));
        Assert.Equal(20m, one.RootElement.GetProperty("current").GetProperty("limit").GetDecimal());
        Assert.Equal(HttpStatusCode.NotFound, (await admin.GetAsync("/admin/budgets/team:none")).StatusCode);
        using var status = JsonDocument.Parse(await admin.GetStringAsync("/admin/status?person=lee"));
        var lines = status.RootElement.EnumerateArray().ToList();
        Assert.Equal(["org", "team:core"], lines.Select(l => l.GetProperty("budget").GetString()));
        Assert.All(lines, l => Assert.True(l.GetProperty("spentUsd").GetDecimal() > 0));
        Assert.All(lines, l => Assert.Equal(0m, l.GetProperty("reservedUsd").GetDecimal()));
        Assert.Equal("soft:warn", lines[1].GetProperty("mode").GetString());
        using var teamStatus = JsonDocument.Parse(await admin.GetStringAsync("/admin/status?team=core"));
        Assert.Equal(["org", "team:core"], teamStatus.RootElement.EnumerateArray().Select(l => l.GetProperty("budget").GetString()));
        using var all = JsonDocument.Parse(await admin.GetStringAsync("/admin/status"));
        Assert.Equal(2, all.RootElement.GetArrayLength());
    }

    [Fact]
    public async Task PokerHand_IsAWeeklyHardBudgetPerPerson()
    {
        await using var gateway = await GatewayFixture.StartAsync(o =>
        {
            o.Poker.Enabled = true;
            o.Poker.WeeklyHandUsd = 0.000001m;
        });
        using var http = gateway.Client(gateway.CreateKey("max", "core"));
        using var response = await http.SendAsync(BudgetRequests.Chat());
        Assert.Equal(HttpStatusCode.PaymentRequired, response.StatusCode);
        Assert.Contains("\"budget\":\"poker:max\"", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public void PokerHand_AddsEveryRegisteredAllowance_WhenItsWeekOpens()
    {
        var options = new GatewayOptions { Poker = { Enabled = true, WeeklyHandUsd = 25m, TimeZone = "Europe/Berlin" } };
        var store = new SqliteBudgetStore(new SqliteDatabase(_dir), TimeProvider.System);
        var weeks = new List<DateTimeOffset>();
        var engine = new BudgetEngine(options, store, [new FixedAllowance(5m, weeks), new FixedAllowance(2.5m, weeks)], TimeProvider.System, NullLogger<BudgetEngine>.Instance);
        var now = DateTimeOffset.Parse("2026-11-25T12:00:00Z", System.Globalization.CultureInfo.InvariantCulture);

        var hand = Assert.Single(engine.Book.For("nia", "core", null, now));

        Assert.Equal(("poker:nia", 32.5m, true), (hand.BudgetId, hand.Limit, hand.Hard));
        Assert.Equal(DateTimeOffset.Parse("2026-11-22T23:00:00Z", System.Globalization.CultureInfo.InvariantCulture), hand.PeriodStart); // Monday, Berlin
        Assert.All(weeks, w => Assert.Equal(hand.PeriodStart, w));
    }

    private sealed class FixedAllowance(decimal extra, List<DateTimeOffset> seen) : IBudgetAllowance
    {
        public decimal ExtraFor(BudgetLevel level, string name, DateTimeOffset periodStart)
        {
            seen.Add(periodStart);
            return level == BudgetLevel.Person && name == "nia" ? extra : 0m;
        }
    }

    public void Dispose()
    {
        if (Directory.Exists(_dir)) try { Directory.Delete(_dir, true); } catch (IOException) { }
    }
}
