using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using TokenOps.Core.Ledger;
using TokenOps.Core.Metering;
using TokenOps.Core.Pricing;
using TokenOps.Core.Waste;
using TokenOps.Gateway.Tests.Infrastructure;

namespace TokenOps.Gateway.Tests.Dashboard;

/// <summary>/api/dashboard/waste: findings with dollars and fixes, scoped as the rest of the dashboard (own, team, all).</summary>
public sealed class DashboardWasteTests
{
    /// <summary>Three near-identical asks within minutes by <paramref name="person"/>: one retry-by-vibes finding each.</summary>
    private static IEnumerable<LedgerEntry> ReRolls(string person, string team, DateTimeOffset at) => Enumerable.Range(0, 3).Select(i => new LedgerEntry
    {
        Id = $"evt_waste_{person}_{i}", StartedAt = at.AddMinutes(i), EndedAt = at.AddMinutes(i).AddSeconds(2), Route = "openai.chat", Person = person, Team = team,
        KeyId = "key-" + person, ServedModel = "gpt-4o", Usage = new TokenUsage { UncachedInput = 1000, Output = 200 },
        Cost = new CostBreakdown { UncachedInput = 0.0025m, Output = 0.002m }, Status = 200, Outcome = LedgerOutcome.Ok,
        TurnSimHash = SimHash.Of("Why does the checkout page time out when the cart has more than fifty items?" + new string('!', i)), MessageCount = 1,
        FinishReason = "stop", KeyKind = "person",
    });

    [Fact]
    public async Task Waste_findings_are_scoped_developer_own_lead_team_admin_all()
    {
        await using var gateway = await GatewayFixture.StartAsync(o => o.Dashboard.TeamLeads[DashboardData.Payments] = ["ada"]);
        var data = DashboardData.Seed(gateway, DateTimeOffset.UtcNow);
        var at = DateTimeOffset.UtcNow.AddHours(-2);
        gateway.App.Services.GetRequiredService<ILedgerStore>().Write(
            [.. ReRolls("ada", DashboardData.Payments, at), .. ReRolls("bob", DashboardData.Payments, at), .. ReRolls("cy", DashboardData.Search, at)]);

        async Task<List<(string? Person, string? Team, decimal Usd, string Fix)>> RetriesSeenBy(string key)
        {
            using var client = gateway.Client(key);
            using var response = await client.GetAsync("/api/dashboard/waste?period=7d");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
            return body.GetProperty("findings").EnumerateArray()
                .Where(f => f.GetProperty("detector").GetString() == WasteDetectors.RetryByVibes)
                .Select(f => (f.GetProperty("person").GetString(), f.GetProperty("team").GetString(), f.GetProperty("wasted_usd").GetDecimal(), f.GetProperty("fix").GetString()!))
                .ToList();
        }

        var bob = await RetriesSeenBy(data.BobKey);
        Assert.Equal(["bob"], bob.Select(f => f.Person));
        Assert.Equal(2 * 0.0045m, bob[0].Usd); // the two attempts after the first
        Assert.Contains("what was wrong", bob[0].Fix, StringComparison.Ordinal);
        Assert.Equal(["ada", "bob"], (await RetriesSeenBy(data.AdaKey)).Select(f => f.Person).Order());
        Assert.Equal(["ada", "bob", "cy"], (await RetriesSeenBy(GatewayFixture.AdminToken)).Select(f => f.Person).Order());
    }

    [Fact]
    public async Task WastePage_lists_the_viewers_findings_and_filters_by_detector_in_a_headless_browser()
    {
        const string chromium = "/usr/bin/chromium";
        Assert.True(File.Exists(chromium), $"Chromium is required for the browser tests: {chromium} is missing.");
        await using var gateway = await GatewayFixture.StartAsync(o => o.Dashboard.TeamLeads[DashboardData.Payments] = ["ada"]);
        var data = DashboardData.Seed(gateway, DateTimeOffset.UtcNow);
        var at = DateTimeOffset.UtcNow.AddHours(-2);
        gateway.App.Services.GetRequiredService<ILedgerStore>().Write(
            [.. ReRolls("ada", DashboardData.Payments, at), .. ReRolls("bob", DashboardData.Payments, at), .. ReRolls("cy", DashboardData.Search, at)]);
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new() { ExecutablePath = chromium, Headless = true });

        async Task<(IPage Page, List<string> Errors)> OpenAsync(string key)
        {
            var (page, errors) = await DashboardPages.SignedInAsync(browser, gateway.BaseUrl, key);
            await page.EvaluateAsync("() => { document.getElementById('period').value = '7d'; location.hash = '#/waste'; }");
            await WaitAsync(page, "#/waste");
            return (page, errors);
        }

        static Task WaitAsync(IPage page, string hash) => page.WaitForFunctionAsync(
            "h => { const v = document.getElementById('view'); return v.getAttribute('aria-busy') === 'false' && v.dataset.page === 'waste' && v.dataset.rendered === h + '|7d'; }", hash);

        static async Task<string[]> PeopleAsync(IPage page, string detector) =>
            (await page.Locator("[data-testid=waste-findings] tbody tr").EvaluateAllAsync<string[][]>(
                "rs => rs.map(r => [r.querySelector('[data-col=detector]').textContent, r.querySelector('[data-col=person]').textContent])"))
            .Where(r => r[0] == detector).Select(r => r[1]).Order(StringComparer.Ordinal).ToArray();

        // A developer sees only their own re-rolls, with the dollars, the formula and the fix.
        var (bob, bobErrors) = await OpenAsync(data.BobKey);
        Assert.Equal(["bob"], await PeopleAsync(bob, WasteDetectors.RetryByVibes));
        var row = bob.Locator("[data-testid=waste-findings] tbody tr").Filter(new() { HasText = WasteDetectors.RetryByVibes }).First;
        Assert.Equal(DashboardBrowserTests.Usd(NanoUsd.FromUsd(2 * 0.0045m)), (await row.Locator("[data-col=wasted]").InnerTextAsync()).Trim());
        Assert.Equal("3", (await row.Locator("[data-col=rows]").InnerTextAsync()).Trim());
        Assert.Contains("what was wrong", await row.Locator("[data-col=fix]").InnerTextAsync(), StringComparison.Ordinal);
        Assert.False(string.IsNullOrWhiteSpace(await row.Locator("[data-col=formula]").InnerTextAsync()));
        Assert.Empty(bobErrors);

        // The lead sees the team; the admin everyone, and the detector filter keeps only that detector's rows.
        var (ada, adaErrors) = await OpenAsync(data.AdaKey);
        Assert.Equal(["ada", "bob"], await PeopleAsync(ada, WasteDetectors.RetryByVibes));
        Assert.Empty(adaErrors);
        var (admin, adminErrors) = await OpenAsync(GatewayFixture.AdminToken);
        Assert.Equal(["ada", "bob", "cy"], await PeopleAsync(admin, WasteDetectors.RetryByVibes));
        await admin.SelectOptionAsync("[data-testid=waste-detector]", WasteDetectors.RetryByVibes);
        await WaitAsync(admin, "#/waste?detector=" + WasteDetectors.RetryByVibes);
        var detectors = await admin.Locator("[data-testid=waste-findings] tbody tr [data-col=detector]").AllInnerTextsAsync();
        Assert.Equal(3, detectors.Count);
        Assert.All(detectors, d => Assert.Equal(WasteDetectors.RetryByVibes, d.Trim()));
        Assert.Empty(adminErrors);
    }
}
