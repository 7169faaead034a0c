using System.Globalization;
using System.Text;
using System.Text.Json;
using TokenOps.Core.Pricing;
using TokenOps.Gateway.Tests.Infrastructure;

namespace TokenOps.Gateway.Tests.Outcomes;

/// <summary>The admin outcomes API and the CLI over real traffic: the report's spend reconciles with the ledger, rule by rule.</summary>
public sealed class OutcomeReportApiTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "tokenops-outcomes-cli", Guid.NewGuid().ToString("N"));

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    private static string Iso(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private static async Task ChatAsync(HttpClient http, string? ticket = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Content = Json("""{"model":"gpt-4o-mini","messages":[{"role":"user","content":"write the cart"}]}"""),
        };
        if (ticket is not null) request.Headers.Add("X-TokenOps-Ticket", ticket);
        using var response = await http.SendAsync(request);
        Assert.Equal(200, (int)response.StatusCode);
    }

    [Fact]
    public async Task AdminReport_ReconcilesWithTheLedger_RuleByRule_AndTheCliAgrees()
    {
        await using var gateway = await OutcomeWebhookTests.StartAsync();
        using var ada = gateway.Client(gateway.CreateKey("ada", "core"));
        using var bob = gateway.Client(gateway.CreateKey("bob", "web"));
        using var admin = gateway.Client(GatewayFixture.AdminToken);
        var now = DateTimeOffset.UtcNow;

        // A ticket resolved by zoe that ada's requests name explicitly, and ada's PR whose window holds her other request.
        using (var added = await admin.PostAsync("/admin/outcomes", Json($$"""{"type":"ticket","title":"Search","id":"PROJ-1","person":"zoe","completedAt":"{{Iso(now.AddHours(1))}}"}""")))
            Assert.Equal(201, (int)added.StatusCode);
        using (var added = await admin.PostAsync("/admin/outcomes", Json($$"""{"type":"pr","title":"Cart","id":"acme/shop#9","person":"ada","startedAt":"{{Iso(now.AddHours(-1))}}","completedAt":"{{Iso(now.AddHours(1))}}","valueUsd":250}""")))
            Assert.Equal(201, (int)added.StatusCode);
        using (var again = await admin.PostAsync("/admin/outcomes", Json($$"""{"type":"ticket","title":"Search","id":"PROJ-1","person":"zoe","completedAt":"{{Iso(now.AddHours(1))}}"}""")))
            Assert.Equal(200, (int)again.StatusCode); // same id: unchanged

        await ChatAsync(ada, "PROJ-1");
        await ChatAsync(ada, "proj-1");
        await ChatAsync(ada);
        await ChatAsync(bob);
        var rows = await gateway.LedgerAsync(4);
        Assert.Equal(4, rows.Count);
        var explicitNanos = rows.Where(r => r.Ticket is not null).Sum(r => r.CostNanos);
        var windowNanos = rows.Where(r => r.Person == "ada" && r.Ticket is null).Sum(r => r.CostNanos);
        var unlinkedNanos = rows.Where(r => r.Person == "bob").Sum(r => r.CostNanos);
        Assert.True(explicitNanos > 0 && windowNanos > 0 && unlinkedNanos > 0);

        var since = Iso(now.AddHours(-2));
        var until = Iso(now.AddHours(2));
        var json = await admin.GetStringAsync($"/admin/outcomes/report?by=team&since={since}&until={until}");
        var report = JsonDocument.Parse(json).RootElement;
        var spend = report.GetProperty("spend");
        Assert.Equal(rows.Sum(r => r.CostNanos), spend.GetProperty("totalNanos").GetInt64());
        Assert.Equal(explicitNanos + windowNanos, spend.GetProperty("linkedNanos").GetInt64());
        Assert.Equal(unlinkedNanos, spend.GetProperty("unlinkedNanos").GetInt64());
        Assert.True(spend.GetProperty("reconciles").GetBoolean());
        Assert.Equal(NanoUsd.ToUsd(explicitNanos), spend.GetProperty("linkedUsdByRule").GetProperty("explicit").GetDecimal());
        Assert.Equal(NanoUsd.ToUsd(windowNanos), spend.GetProperty("linkedUsdByRule").GetProperty("author_window").GetDecimal());
        Assert.Equal(2, report.GetProperty("costPerOutcome").GetProperty("count").GetInt32());
        var web = report.GetProperty("groups").EnumerateArray().Single(g => g.GetProperty("key").GetString() == "web");
        Assert.Equal(1m, web.GetProperty("unlinkedShare").GetDecimal());
        Assert.Equal(250m, report.GetProperty("roi").GetProperty("statedValueUsd").GetDecimal());
        Assert.Contains("ROI = (value − cost) / cost", report.GetProperty("roi").GetProperty("formula").GetString());

        var list = await admin.GetStringAsync("/admin/outcomes?type=pr");
        Assert.Contains("manual:acme/shop#9", list);
        Assert.DoesNotContain("PROJ-1", list);

        // The CLI reads the same data directory (WAL) and prints the same figures.
        var (exit, stdout, stderr) = await CliProcess.RunAsync("outcomes", "report", "--data", gateway.DataDirectory, "--period", $"{since}..{until}", "--format", "json", "--by", "person");
        Assert.True(exit == 0, stderr);
        var cli = JsonDocument.Parse(stdout).RootElement.GetProperty("spend");
        Assert.Equal(spend.GetProperty("totalNanos").GetInt64(), cli.GetProperty("totalNanos").GetInt64());
        Assert.Equal(unlinkedNanos, cli.GetProperty("unlinkedNanos").GetInt64());
        var (tableExit, table, _) = await CliProcess.RunAsync("outcomes", "report", "--data", gateway.DataDirectory, "--period", $"{since}..{until}", "--by", "team");
        Assert.Equal(0, tableExit);
        Assert.Contains("= ledger total", table);
        Assert.Contains("ROI:", table);
        Assert.Contains("ROI web: ROI = (value − cost) / cost", table);
        var (csvExit, csv, _) = await CliProcess.RunAsync("outcomes", "report", "--data", gateway.DataDirectory, "--period", $"{since}..{until}", "--by", "team", "--format", "csv");
        Assert.Equal(0, csvExit);
        Assert.StartsWith("section,key,outcomes,median_usd", csv);
        Assert.Contains("\nteam,web,0,", csv);
    }

    [Theory]
    [InlineData("POST", "/admin/outcomes", """{"type":"bogus","title":"x"}""")]
    [InlineData("POST", "/admin/outcomes", """{"type":"feature"}""")]
    [InlineData("POST", "/admin/outcomes", """{"type":"feature","title":"x","valueUsd":-1}""")]
    [InlineData("POST", "/admin/outcomes", """{"type":"feature","title":"x","completedAt":"yesterday"}""")]
    [InlineData("POST", "/admin/outcomes", "{oops")]
    [InlineData("POST", "/admin/outcomes", "[1,2]")]
    [InlineData("POST", "/admin/outcomes", "")]
    [InlineData("POST", "/admin/outcomes", """{"type":"feature","title":"x","valueUsd":"lots"}""")]
    [InlineData("GET", "/admin/outcomes/report?by=planet", null)]
    [InlineData("GET", "/admin/outcomes/report?since=garbage", null)]
    [InlineData("GET", "/admin/outcomes/report?since=2026-11-02&until=2026-11-01", null)]
    [InlineData("GET", "/admin/outcomes/report?baseline_since=2026-11-01", null)]
    [InlineData("GET", "/admin/outcomes?type=planet", null)]
    public async Task AdminOutcomes_BadInput_Is400WithAJsonError(string method, string path, string? body)
    {
        await using var gateway = await OutcomeWebhookTests.StartAsync();
        using var admin = gateway.Client(GatewayFixture.AdminToken);
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (body is not null) request.Content = Json(body);
        using var response = await admin.SendAsync(request);
        Assert.Equal(400, (int)response.StatusCode);
        var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("error");
        Assert.False(string.IsNullOrEmpty(error.GetProperty("message").GetString()));
        using var anonymous = gateway.Client();
        Assert.Equal(401, (int)(await anonymous.GetAsync("/admin/outcomes/report")).StatusCode);
    }

    [Fact]
    public async Task Cli_AddIsIdempotent_ListShowsIt_BadInputExits2()
    {
        var (exit, stdout, stderr) = await CliProcess.RunAsync("outcomes", "add", "--type", "feature", "--title", "Checkout v2", "--person", "ada",
            "--value", "5000", "--id", "checkout-v2", "--completed", "2026-11-20T10:00Z", "--data", _dir);
        Assert.True(exit == 0, stderr);
        Assert.Contains("Recorded outcome manual:checkout-v2", stdout);
        var (again, repeat, _) = await CliProcess.RunAsync("outcomes", "add", "--type", "feature", "--title", "Checkout v2", "--person", "ada",
            "--value", "5000", "--id", "checkout-v2", "--data", _dir);
        Assert.Equal(0, again);
        Assert.Contains("already recorded", repeat);
        var (_, list, _) = await CliProcess.RunAsync("outcomes", "list", "--data", _dir, "--format", "json");
        var item = Assert.Single(JsonDocument.Parse(list).RootElement.EnumerateArray());
        Assert.Equal(5000m, item.GetProperty("valueUsd").GetDecimal());
        var (_, report, _) = await CliProcess.RunAsync("outcomes", "report", "--data", _dir, "--period", "2026-11", "--format", "json");
        Assert.Equal(5000m, JsonDocument.Parse(report).RootElement.GetProperty("roi").GetProperty("valueUsd").GetDecimal());

        foreach (var args in new[]
        {
            new[] { "outcomes", "add", "--type", "planet", "--title", "x", "--data", _dir },
            ["outcomes", "add", "--type", "feature", "--title", "x", "--value", "lots", "--data", _dir],
            ["outcomes", "add", "--type", "feature", "--title", "x", "--completed", "someday", "--data", _dir],
            ["outcomes", "report", "--period", "9x", "--data", _dir],
            ["outcomes", "report", "--by", "planet", "--data", _dir],
            ["outcomes", "report", "--format", "xml", "--data", _dir],
        })
        {
            var (code, _, err) = await CliProcess.RunAsync(args);
            Assert.Equal(2, code);
            Assert.Single(err.Trim().Split('\n'));
            Assert.StartsWith("tokenops: ", err);
        }
        Assert.Equal(0, (await CliProcess.RunAsync("outcomes", "report", "--help")).ExitCode);
    }

    public void Dispose()
    {
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }
}
