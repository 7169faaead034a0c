using System.Net;
using System.Text.Json;
using Microsoft.Playwright;
using TokenOps.Core.Pricing;
using TokenOps.Gateway.Tests.Infrastructure;

namespace TokenOps.Gateway.Tests.Dashboard;

/// <summary>
/// The growth page (/api/dashboard/growth and its chart): today's monthly spend from the ledger, projected at 1x, 10x
/// and 100x volume with falling prices per tier; each viewer sees their own scope; a real headless Chromium draws it.
/// </summary>
public sealed class GrowthDashboardTests
{
    private const string Chromium = "/usr/bin/chromium";

    /// <summary>The baseline the API must show: the rows of the 30 whole days before today, scaled to an average month.</summary>
    private static decimal Baseline(IEnumerable<Core.Ledger.LedgerEntry> rows)
    {
        var today = new DateTimeOffset(DateTime.UtcNow.Date, TimeSpan.Zero);
        var nanos = rows.Where(r => r.StartedAt >= today.AddDays(-30) && r.StartedAt < today).Sum(r => r.CostNanos);
        return Math.Round(NanoUsd.ToUsd(nanos) * (365.25m / 12m) / 30m, 6);
    }

    private static async Task<JsonElement> GetAsync(HttpClient client, string path, HttpStatusCode expected = HttpStatusCode.OK)
    {
        using var response = await client.GetAsync(path);
        Assert.Equal(expected, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
    }

    [Fact]
    public async Task Growth_ProjectsTheLedgersMonthlySpend_InTheViewersScope()
    {
        await using var gateway = await GatewayFixture.StartAsync(o => o.Dashboard.TeamLeads[DashboardData.Payments] = ["ada"]);
        var data = DashboardData.Seed(gateway, DateTimeOffset.UtcNow);
        var rows = data.Rows;
        using var admin = gateway.Client(GatewayFixture.AdminToken);
        var body = await GetAsync(admin, "/api/dashboard/growth?horizon=12m&decline=10x/yr&growth=10x");
        var baseline = Baseline(rows);
        Assert.True(baseline > 0m);
        Assert.Equal(baseline, body.GetProperty("baselineMonthlyUsd").GetDecimal());
        Assert.Equal(12, body.GetProperty("months").GetArrayLength());
        var scenarios = body.GetProperty("scenarios").EnumerateArray().ToList();
        Assert.Equal([1m, 10m, 100m], scenarios.Select(s => s.GetProperty("growth").GetDecimal()));
        // gpt-4o and Claude Sonnet are frontier (held), gpt-4o-mini small (a tenth after a year): at 10x volume the
        // last month is ten times the frontier spend plus the small spend unchanged.
        var tiers = body.GetProperty("byModel").EnumerateArray().ToDictionary(m => m.GetProperty("model").GetString()!, m => m.GetProperty("tier").GetString());
        Assert.Equal("frontier", tiers["gpt-4o"]);
        Assert.Equal("frontier", tiers["claude-sonnet-4-5"]);
        Assert.Equal("small", tiers["gpt-4o-mini"]);
        var small = Baseline(rows.Where(r => r.ServedModel == "gpt-4o-mini"));
        var ten = scenarios[1].GetProperty("monthlyUsd").EnumerateArray().Select(v => v.GetDecimal()).ToList();
        Assert.Equal(Math.Round((baseline - small) * 10m + small, 3), Math.Round(ten[^1], 3));
        var hundred = scenarios[2].GetProperty("monthlyUsd").EnumerateArray().Select(v => v.GetDecimal()).ToList();
        Assert.True(hundred[^1] > ten[^1] * 9m);

        // A developer sees their own spend projected; a lead their team's; nobody else's.
        using var bob = gateway.Client(data.BobKey);
        var own = await GetAsync(bob, "/api/dashboard/growth");
        Assert.Equal("bob", own.GetProperty("scope").GetProperty("person").GetString());
        Assert.Equal(Baseline(rows.Where(r => r.Person == "bob")), own.GetProperty("baselineMonthlyUsd").GetDecimal());
        using var ada = gateway.Client(data.AdaKey);
        var team = await GetAsync(ada, "/api/dashboard/growth");
        Assert.Equal(Baseline(rows.Where(r => r.Team == DashboardData.Payments)), team.GetProperty("baselineMonthlyUsd").GetDecimal());

        // Bad parameters: a 400 naming the problem, in the dashboard's error format.
        var bad = await GetAsync(admin, "/api/dashboard/growth?decline=fast", HttpStatusCode.BadRequest);
        Assert.Contains("decline", bad.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
        await GetAsync(admin, "/api/dashboard/growth?horizon=0m", HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task GrowthPage_DrawsOneLinePerScenario_InAHeadlessBrowser()
    {
        Assert.True(File.Exists(Chromium), $"Chromium is required for the browser tests: {Chromium} is missing (apt-get install -y chromium).");
        await using var gateway = await GatewayFixture.StartAsync();
        var data = DashboardData.Seed(gateway, DateTimeOffset.UtcNow);
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new() { ExecutablePath = Chromium, Headless = true });
        var (page, errors) = await DashboardPages.SignedInAsync(browser, gateway.BaseUrl, GatewayFixture.AdminToken);
        await page.EvaluateAsync("() => { location.hash = '#/growth?decline=10x/yr&horizon=12m'; }");
        await page.WaitForFunctionAsync("() => { const v = document.getElementById('view'); return v.getAttribute('aria-busy') === 'false' && v.dataset.page === 'growth'; }");

        Assert.Equal(3, await page.Locator("[data-testid=growth-chart] polyline").CountAsync());
        Assert.Equal(["1", "10", "100"], await page.Locator("[data-testid=growth-chart] polyline").EvaluateAllAsync<string[]>("ls => ls.map(l => l.dataset.growth)"));
        Assert.Equal(DashboardBrowserTests.Usd(NanoUsd.FromUsd(Baseline(data.Rows))), (await page.GetByTestId("growth-baseline").InnerTextAsync()).Trim());
        Assert.Contains("frontier ÷1, mid ÷10, small ÷10", await page.GetByTestId("growth-assumptions").InnerTextAsync(), StringComparison.Ordinal);
        Assert.Equal(2, await page.Locator("[data-testid=growth-by-team] tbody tr").CountAsync());
        var shots = Path.Combine(AppContext.BaseDirectory, "TestResults", "screenshots");
        Directory.CreateDirectory(shots);
        await page.ScreenshotAsync(new() { Path = Path.Combine(shots, "admin-growth.png"), FullPage = true });
        Assert.Empty(errors);
    }
}
