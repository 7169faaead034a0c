using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using TokenOps.Core.Pricing;
using TokenOps.Core.Savings;
using TokenOps.Core.Poker;
using TokenOps.Gateway.Alerts;
using TokenOps.Gateway.Outcomes;
using TokenOps.Core.Ledger;
using TokenOps.Gateway.Tests.Infrastructure;

namespace TokenOps.Gateway.Tests.Dashboard;

/// <summary>
/// The dashboard in a real headless Chromium (Debian's /usr/bin/chromium, driven by Playwright; no browser download):
/// every page loads without console errors, shows the ledger's numbers, filters change them correctly, and a developer
/// cannot reach another person's page. A screenshot of every page goes to TestResults/screenshots/.
/// </summary>
public sealed class DashboardBrowserTests
{
    private const string Chromium = "/usr/bin/chromium";
    private static readonly string Screenshots = Path.Combine(AppContext.BaseDirectory, "TestResults", "screenshots");

    private static readonly string[] Pages = ["overview", "team/payments", "person/bob", "budgets", "poker", "outcomes", "requests", "savings"];

    /// <summary>The page's money format: nano-USD to $ with 4 decimals under $100 (else 2), half away from zero.</summary>
    internal static string Usd(long nanos)
    {
        var digits = Math.Abs(nanos) < 100_000_000_000 ? 4 : 2;
        var value = decimal.Round(nanos / 1_000_000_000m, digits, MidpointRounding.AwayFromZero);
        return (value < 0 ? "-$" : "$") + Math.Abs(value).ToString(digits == 4 ? "#,0.0000" : "#,0.00", CultureInfo.InvariantCulture);
    }

    [Fact]
    public async Task EveryPage_Loads_ShowsLedgerNumbers_FiltersWork_DeveloperIsFenced()
    {
        Assert.True(File.Exists(Chromium), $"Chromium is required for the browser tests: {Chromium} is missing (apt-get install -y chromium).");
        Directory.CreateDirectory(Screenshots);
        await using var gateway = await GatewayFixture.StartAsync(o => o.Dashboard.TeamLeads[DashboardData.Payments] = ["ada"]);
        var data = DashboardData.Seed(gateway, DateTimeOffset.UtcNow);
        var rows = data.Rows;

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new() { ExecutablePath = Chromium, Headless = true });

        // ---- admin: every page ----
        var (admin, adminErrors) = await OpenAsync(browser, gateway);
        await SignInAsync(admin, GatewayFixture.AdminToken);
        foreach (var page in Pages)
        {
            await ShowAsync(admin, "#/" + page);
            await admin.ScreenshotAsync(new() { Path = Path.Combine(Screenshots, "admin-" + page.Replace('/', '-') + ".png"), FullPage = true });
        }
        Assert.Empty(adminErrors);

        // Numbers equal the ledger's.
        await ShowAsync(admin, "#/overview");
        Assert.Equal(Usd(rows.Sum(r => r.CostNanos)), await Text(admin, "total-cost"));
        Assert.Equal(rows.Count.ToString("#,0", CultureInfo.InvariantCulture), await Text(admin, "total-requests"));
        var byTeam = await admin.Locator("[data-testid=by-team] tbody tr").EvaluateAllAsync<string[][]>(
            "rs => rs.map(r => [r.querySelector('td[data-col=key]').innerText.trim(), r.querySelector('td[data-col=cost]').innerText.trim()])");
        Assert.Equal(2, byTeam.Length);
        foreach (var cells in byTeam)
            Assert.Equal(Usd(rows.Where(r => r.Team == cells[0]).Sum(r => r.CostNanos)), cells[1]);
        await ShowAsync(admin, "#/person/bob");
        Assert.Equal(Usd(rows.Where(r => r.Person == "bob").Sum(r => r.CostNanos)), await Text(admin, "total-cost"));
        await ShowAsync(admin, "#/savings");
        Assert.Equal(Usd(rows.Sum(r => r.Savings.TotalNanos)), await Text(admin, "total-saved"));
        Assert.Equal(rows.Count(r => r.Usage.CacheRead > 0).ToString(CultureInfo.InvariantCulture), await Text(admin, "savings-cache-hits"));
        await ShowAsync(admin, "#/budgets");
        Assert.True(await admin.GetByTestId("not-configured").First.IsVisibleAsync());

        // The period filter changes the figures: today only.
        await ShowAsync(admin, "#/overview");
        await admin.SelectOptionAsync("[data-testid=period]", "today");
        await WaitRenderedAsync(admin, "#/overview", "today");
        var today = rows.Where(r => r.StartedAt.UtcDateTime.Date == DateTime.UtcNow.Date).Sum(r => r.CostNanos);
        Assert.Equal(Usd(today), await Text(admin, "total-cost"));
        await admin.SelectOptionAsync("[data-testid=period]", "30d");
        await WaitRenderedAsync(admin, "#/overview", "30d");

        // Request explorer filters: person, then status.
        await ShowAsync(admin, "#/requests");
        Assert.Equal(rows.Count, await admin.Locator("[data-testid=requests-table] tbody tr").CountAsync());
        await admin.SelectOptionAsync("[data-testid=filter-person]", "bob");
        await admin.ClickAsync("[data-testid=apply]");
        await WaitRenderedAsync(admin, "#/requests?person=bob", "30d");
        Assert.Equal(rows.Count(r => r.Person == "bob"), await admin.Locator("[data-testid=requests-table] tbody tr").CountAsync());
        await admin.SelectOptionAsync("[data-testid=filter-status]", "error");
        await admin.ClickAsync("[data-testid=apply]");
        await WaitRenderedAsync(admin, "#/requests?person=bob&status=error", "30d");
        var bobErrors = rows.Where(r => r.Person == "bob" && r.Outcome != LedgerOutcome.Ok).ToList();
        Assert.NotEmpty(bobErrors);
        Assert.Equal(bobErrors.Count, await admin.Locator("[data-testid=requests-table] tbody tr").CountAsync());
        Assert.Equal(bobErrors.Select(r => r.Id).Order(), (await admin.Locator("[data-testid=requests-table] tbody tr").EvaluateAllAsync<string[]>("rs => rs.map(r => r.dataset.id)")).Order());
        await admin.ScreenshotAsync(new() { Path = Path.Combine(Screenshots, "admin-requests-filtered.png"), FullPage = true });
        Assert.Empty(adminErrors);

        // ---- developer: own page and team aggregates, nobody else's rows ----
        var (dev, devErrors) = await OpenAsync(browser, gateway);
        await SignInAsync(dev, data.BobKey);
        await ShowAsync(dev, "#/person");
        Assert.Equal("bob", await Text(dev, "person-name"));
        Assert.Equal(Usd(rows.Where(r => r.Person == "bob").Sum(r => r.CostNanos)), await Text(dev, "total-cost"));
        await dev.ScreenshotAsync(new() { Path = Path.Combine(Screenshots, "developer-person.png"), FullPage = true });
        await ShowAsync(dev, "#/team");
        Assert.Equal(Usd(rows.Where(r => r.Team == DashboardData.Payments).Sum(r => r.CostNanos)), await Text(dev, "total-cost"));
        Assert.True(await dev.GetByTestId("people-hidden").IsVisibleAsync());
        await dev.ScreenshotAsync(new() { Path = Path.Combine(Screenshots, "developer-team.png"), FullPage = true });
        await ShowAsync(dev, "#/requests");
        Assert.Equal(rows.Count(r => r.Person == "bob"), await dev.Locator("[data-testid=requests-table] tbody tr").CountAsync());
        Assert.Empty(devErrors);

        await ShowAsync(dev, "#/person/ada");
        Assert.True(await dev.GetByTestId("forbidden").IsVisibleAsync());
        Assert.Equal(0, await dev.GetByTestId("total-cost").CountAsync());
        Assert.DoesNotContain(Usd(rows.Where(r => r.Person == "ada").Sum(r => r.CostNanos)), await dev.InnerTextAsync("main"), StringComparison.Ordinal);
        await dev.ScreenshotAsync(new() { Path = Path.Combine(Screenshots, "developer-forbidden.png"), FullPage = true });
        // The only console error is the browser's note of the 403 itself.
        Assert.All(devErrors, e => Assert.Contains("403", e, StringComparison.Ordinal));
    }

    [Fact]
    public async Task SavingsPage_ShowsTheLeverFiguresOfTheLedgerRows_AsAskedAsAnEstimate_DeveloperSeesOwn()
    {
        Assert.True(File.Exists(Chromium), $"Chromium is required for the browser tests: {Chromium} is missing (apt-get install -y chromium).");
        Directory.CreateDirectory(Screenshots);
        await using var gateway = await GatewayFixture.StartAsync(o => o.Dashboard.TeamLeads[DashboardData.Payments] = ["ada"]);
        var data = DashboardData.Seed(gateway, DateTimeOffset.UtcNow);
        var rows = data.Rows;
        Assert.Contains(rows, r => r.Savings.Routed > 0);

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new() { ExecutablePath = Chromium, Headless = true });
        var (admin, adminErrors) = await OpenAsync(browser, gateway);
        await SignInAsync(admin, GatewayFixture.AdminToken);
        await ShowAsync(admin, "#/savings");
        await admin.ScreenshotAsync(new() { Path = Path.Combine(Screenshots, "admin-savings-levers.png"), FullPage = true });

        // One table row per lever, each showing the ledger's saved_* sum and the requests it applied to.
        var levers = await admin.Locator("[data-testid=lever-table] tbody tr").EvaluateAllAsync<string[][]>(
            "rs => rs.map(r => ['lever', 'requests', 'saved'].map(c => r.querySelector('td[data-col=' + c + ']').innerText.trim()))");
        Assert.Equal(SavingsLevers.All, levers.Select(l => l[0]));
        foreach (var l in levers)
        {
            Assert.Equal(Usd(rows.Sum(r => r.Savings.NanosOf(l[0]))), l[2]);
            Assert.Equal(rows.Count(r => r.Levers is { } names && names.Split(',').Contains(l[0])).ToString("#,0", CultureInfo.InvariantCulture), l[1]);
        }
        Assert.Equal(Usd(rows.Sum(r => r.Savings.TotalNanos)), await Text(admin, "total-saved"));
        Assert.Equal(Usd(rows.Sum(r => r.AsAskedNanos)), await Text(admin, "as-asked"));
        Assert.Equal(Usd(rows.Sum(r => r.CostNanos)), await Text(admin, "actual-cost"));
        var moved = rows.Count(r => r.Savings.Routed + r.Savings.Degraded > 0);
        // The page's percentage: one decimal, half away from zero.
        Assert.Equal((Math.Round(moved * 1000.0 / rows.Count, MidpointRounding.AwayFromZero) / 10).ToString(CultureInfo.InvariantCulture) + "%", await Text(admin, "moved-share"));
        Assert.Contains("(estimate)", await admin.InnerTextAsync("main"), StringComparison.OrdinalIgnoreCase);
        Assert.Contains("estimate", await Text(admin, "estimate-note"), StringComparison.Ordinal);
        var teams = await admin.Locator("[data-testid=savings-by-team] tbody tr").EvaluateAllAsync<string[][]>(
            "rs => rs.map(r => ['key', 'saved', 'asked'].map(c => r.querySelector('td[data-col=' + c + ']').innerText.trim()))");
        Assert.Equal(2, teams.Length);
        foreach (var t in teams)
        {
            Assert.Equal(Usd(rows.Where(r => r.Team == t[0]).Sum(r => r.Savings.TotalNanos)), t[1]);
            Assert.Equal(Usd(rows.Where(r => r.Team == t[0]).Sum(r => r.AsAskedNanos)), t[2]);
        }
        Assert.Empty(adminErrors);

        // bob sees his own savings only.
        var (dev, devErrors) = await OpenAsync(browser, gateway);
        await SignInAsync(dev, data.BobKey);
        await ShowAsync(dev, "#/savings");
        var bob = rows.Where(r => r.Person == "bob").ToList();
        Assert.Equal(Usd(bob.Sum(r => r.Savings.TotalNanos)), await Text(dev, "total-saved"));
        Assert.Equal(Usd(bob.Sum(r => r.AsAskedNanos)), await Text(dev, "as-asked"));
        Assert.Equal(Usd(bob.Sum(r => r.Savings.NanosOf(SavingsLevers.Routed))),
            (await dev.Locator("[data-testid=lever-table] tbody tr").First.Locator("td[data-col=saved]").InnerTextAsync()).Trim());
        Assert.Contains("bob", await dev.InnerTextAsync("#view h1"), StringComparison.Ordinal);
        await dev.ScreenshotAsync(new() { Path = Path.Combine(Screenshots, "developer-savings.png"), FullPage = true });
        Assert.Empty(devErrors);
    }

    [Fact]
    public async Task FeedPages_ShowPokerOutcomesAndAlerts_WithTheirNumbers_ForAdminAndDeveloper()
    {
        Assert.True(File.Exists(Chromium), $"Chromium is required for the browser tests: {Chromium} is missing (apt-get install -y chromium).");
        Directory.CreateDirectory(Screenshots);
        var (gateway, data) = await DashboardApiTests.StartWithFeedsAsync(anonymised: true);
        await using var _g = gateway;
        var services = gateway.App.Services;
        var game = services.GetRequiredService<PokerGame>();
        var board = game.Leaderboard(game.WeekStart(DateTimeOffset.UtcNow));

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new() { ExecutablePath = Chromium, Headless = true });

        var (admin, adminErrors) = await OpenAsync(browser, gateway);
        await SignInAsync(admin, GatewayFixture.AdminToken);
        await admin.SelectOptionAsync("[data-testid=period]", "7d");
        await WaitRenderedAsync(admin, "", "7d");

        await ShowAsync(admin, "#/poker");
        Assert.Equal(board.Rows.Count, await admin.Locator("[data-testid=poker-table] tbody tr").CountAsync());
        Assert.All(await admin.Locator("[data-testid=poker-table] tbody tr td:nth-child(2)").AllInnerTextsAsync(), t => Assert.StartsWith("Player ", t.Trim(), StringComparison.Ordinal));
        await admin.ScreenshotAsync(new() { Path = Path.Combine(Screenshots, "feeds-admin-poker.png"), FullPage = true });

        await ShowAsync(admin, "#/outcomes");
        var period = TokenOps.Core.Reporting.ReportPeriod.TryParse("7d", DateTimeOffset.UtcNow, out var p) ? p : throw new InvalidOperationException();
        var report = services.GetRequiredService<OutcomeService>().Report(new TokenOps.Core.Outcomes.ReportPeriod(period.From, period.To), "team");
        Assert.Equal("2", await Text(admin, "outcomes-count"));
        Assert.Equal(Usd(NanoUsd.FromUsd(report.CostPerOutcome.Median)), await Text(admin, "outcomes-median"));
        Assert.Equal(2, await admin.Locator("[data-testid=outcomes-table] tbody tr").CountAsync());
        Assert.True(await admin.GetByTestId("outcome-distribution").IsVisibleAsync());
        Assert.Contains("ROI", await Text(admin, "roi-formula"), StringComparison.Ordinal);
        await admin.ScreenshotAsync(new() { Path = Path.Combine(Screenshots, "feeds-admin-outcomes.png"), FullPage = true });

        await ShowAsync(admin, "#/budgets");
        var forecasts = services.GetRequiredService<AlertEngine>().Forecasts();
        Assert.True(await admin.GetByTestId("forecast-chart").IsVisibleAsync());
        Assert.Equal(forecasts.Count, await admin.Locator("[data-testid=forecasts-table] tbody tr").CountAsync());
        // The two alerts the setup raised (the alert engine may have raised real ones for the tiny payments budget too).
        var adminAlerts = await admin.InnerTextAsync("[data-testid=alerts-table]");
        Assert.Contains("team search reached 80%", adminAlerts, StringComparison.Ordinal);
        Assert.Contains("team payments reached 80%", adminAlerts, StringComparison.Ordinal);
        await admin.ScreenshotAsync(new() { Path = Path.Combine(Screenshots, "feeds-admin-budgets.png"), FullPage = true });

        await ShowAsync(admin, "#/person/ada");
        Assert.Equal("1", await Text(admin, "person-outcomes"));
        Assert.Contains("Checkout retry", await admin.InnerTextAsync("[data-testid=person-outcomes-table]"), StringComparison.Ordinal);
        await admin.ScreenshotAsync(new() { Path = Path.Combine(Screenshots, "feeds-admin-person.png"), FullPage = true });
        Assert.Empty(adminErrors);

        // bob: his own poker row marked, no other person's outcome, only his team's budgets.
        var (dev, devErrors) = await OpenAsync(browser, gateway);
        await SignInAsync(dev, data.BobKey);
        await ShowAsync(dev, "#/poker");
        Assert.Equal(1, await dev.Locator("[data-testid=poker-table] tbody tr.you").CountAsync());
        Assert.DoesNotContain("ada", await dev.InnerTextAsync("[data-testid=poker-table]"), StringComparison.Ordinal);
        await dev.ScreenshotAsync(new() { Path = Path.Combine(Screenshots, "feeds-developer-poker.png"), FullPage = true });
        await ShowAsync(dev, "#/outcomes");
        var text = await dev.InnerTextAsync("main");
        Assert.DoesNotContain("Checkout retry", text, StringComparison.Ordinal);
        Assert.DoesNotContain("Search ranking", text, StringComparison.Ordinal);
        Assert.True(await dev.GetByTestId("outcomes-hidden").IsVisibleAsync());
        await dev.ScreenshotAsync(new() { Path = Path.Combine(Screenshots, "feeds-developer-outcomes.png"), FullPage = true });
        await ShowAsync(dev, "#/budgets");
        var devAlerts = await dev.InnerTextAsync("[data-testid=alerts-table]");
        Assert.Contains("team payments reached 80%", devAlerts, StringComparison.Ordinal);
        Assert.DoesNotContain("search", devAlerts, StringComparison.Ordinal);
        Assert.DoesNotContain("team search", await dev.InnerTextAsync("[data-testid=forecasts-table]"), StringComparison.Ordinal);
        await dev.ScreenshotAsync(new() { Path = Path.Combine(Screenshots, "feeds-developer-budgets.png"), FullPage = true });
        Assert.Empty(devErrors);
    }

    private static async Task<(IPage Page, List<string> Errors)> OpenAsync(IBrowser browser, GatewayFixture gateway)
    {
        var context = await browser.NewContextAsync(new() { BaseURL = gateway.BaseUrl.ToString(), ViewportSize = new() { Width = 1280, Height = 900 } });
        var page = await context.NewPageAsync();
        page.SetDefaultTimeout(15_000);
        var errors = new List<string>();
        page.Console += (_, m) => { if (m.Type == "error") lock (errors) errors.Add(m.Type + ": " + m.Text); };
        page.PageError += (_, e) => { lock (errors) errors.Add("pageerror: " + e); };
        page.RequestFailed += (_, r) => { lock (errors) errors.Add("requestfailed: " + r.Url + " " + r.Failure); };
        await page.GotoAsync("/");
        return (page, errors);
    }

    private static async Task SignInAsync(IPage page, string key)
    {
        await page.WaitForSelectorAsync("#signin-key");
        await page.FillAsync("#signin-key", key);
        await page.ClickAsync("#signin button[type=submit]");
        await page.WaitForSelectorAsync("#top:not([hidden])");
        await WaitRenderedAsync(page, "", "30d");
    }

    private static async Task ShowAsync(IPage page, string hash)
    {
        var period = await page.InputValueAsync("[data-testid=period]");
        await page.EvaluateAsync("h => { location.hash = h; }", hash);
        await WaitRenderedAsync(page, hash, period);
    }

    private static Task WaitRenderedAsync(IPage page, string hash, string period) =>
        page.WaitForFunctionAsync(
            "([h, p]) => { const v = document.getElementById('view'); return v.getAttribute('aria-busy') === 'false' && v.dataset.rendered === h + '|' + p; }",
            new object[] { hash, period });

    private static async Task<string> Text(IPage page, string testId) => (await page.GetByTestId(testId).First.InnerTextAsync()).Trim();
}
