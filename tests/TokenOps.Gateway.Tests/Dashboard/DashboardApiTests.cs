using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using TokenOps.Core.Alerts;
using TokenOps.Core.Budgets;
using TokenOps.Core.Poker;
using TokenOps.Gateway.Alerts;
using TokenOps.Gateway.Configuration;
using TokenOps.Gateway.Outcomes;
using TokenOps.Storage.Sqlite;
using TokenOps.Core.Ledger;
using TokenOps.Core.Metering;
using TokenOps.Core.Pricing;
using TokenOps.Core.Savings;
using TokenOps.Gateway.Tests.Infrastructure;

namespace TokenOps.Gateway.Tests.Dashboard;

/// <summary>The dashboard API: numbers equal the ledger's; roles and transparency are enforced on the server; sessions are cookies, never keys.</summary>
public sealed class DashboardApiTests
{
    private static async Task<(GatewayFixture Gateway, DashboardData Data)> StartAsync(bool transparency = false)
    {
        var gateway = await GatewayFixture.StartAsync(o =>
        {
            o.Dashboard.TeamLeads[DashboardData.Payments] = ["ada"];
            o.Dashboard.Transparency = transparency;
        });
        return (gateway, DashboardData.Seed(gateway, DateTimeOffset.UtcNow));
    }

    private static async Task<(HttpStatusCode Status, JsonElement Body)> GetAsync(HttpClient client, string path)
    {
        using var response = await client.GetAsync(path);
        var text = await response.Content.ReadAsStringAsync();
        Assert.StartsWith("application/json", response.Content.Headers.ContentType?.MediaType ?? "", StringComparison.Ordinal);
        return (response.StatusCode, JsonDocument.Parse(text).RootElement.Clone());
    }

    [Fact]
    public async Task Overview_TotalsAndBreakdowns_EqualTheLedger()
    {
        var (gateway, data) = await StartAsync();
        await using var _ = gateway;
        using var admin = gateway.Client(GatewayFixture.AdminToken);
        var (status, body) = await GetAsync(admin, "/api/dashboard/overview?period=7d");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(data.Rows.Sum(r => r.CostNanos), body.GetProperty("totals").GetProperty("costNanos").GetInt64());
        Assert.Equal(data.Rows.Count, body.GetProperty("totals").GetProperty("requests").GetInt64());
        foreach (var team in body.GetProperty("byTeam").EnumerateArray())
            Assert.Equal(data.Rows.Where(r => r.Team == team.GetProperty("key").GetString()).Sum(r => r.CostNanos), team.GetProperty("costNanos").GetInt64());
        Assert.Equal(3, body.GetProperty("byModel").GetArrayLength());
        Assert.Equal(data.Rows.Sum(r => r.CostNanos), body.GetProperty("series").EnumerateArray().Sum(p => p.GetProperty("costNanos").GetInt64()));
        Assert.Equal(7, body.GetProperty("series").GetArrayLength());
        var forecast = body.GetProperty("forecast");
        Assert.True(forecast.GetProperty("projectedNanos").GetInt64() >= forecast.GetProperty("spentNanos").GetInt64());
        // A filter narrows every figure.
        var (_, filtered) = await GetAsync(admin, "/api/dashboard/overview?period=7d&model=gpt-4o-mini");
        Assert.Equal(data.Rows.Where(r => r.ServedModel == "gpt-4o-mini").Sum(r => r.CostNanos), filtered.GetProperty("totals").GetProperty("costNanos").GetInt64());
    }

    [Fact]
    public async Task Developer_SeesOwnPageAndTeamAggregates_NotOtherPeople()
    {
        var (gateway, data) = await StartAsync();
        await using var _ = gateway;
        using var bob = gateway.Client(data.BobKey);
        var (own, ownBody) = await GetAsync(bob, "/api/dashboard/person/bob?period=7d");
        Assert.Equal(HttpStatusCode.OK, own);
        Assert.Equal(data.Rows.Where(r => r.Person == "bob").Sum(r => r.CostNanos), ownBody.GetProperty("totals").GetProperty("costNanos").GetInt64());

        var (other, otherBody) = await GetAsync(bob, "/api/dashboard/person/ada?period=7d");
        Assert.Equal(HttpStatusCode.Forbidden, other);
        Assert.Equal("forbidden", otherBody.GetProperty("error").GetProperty("code").GetString());

        var (team, teamBody) = await GetAsync(bob, "/api/dashboard/team/payments?period=7d");
        Assert.Equal(HttpStatusCode.OK, team);
        Assert.Equal(data.Rows.Where(r => r.Team == "payments").Sum(r => r.CostNanos), teamBody.GetProperty("totals").GetProperty("costNanos").GetInt64());
        Assert.True(teamBody.GetProperty("peopleHidden").GetBoolean());
        Assert.Equal(["bob"], teamBody.GetProperty("byPerson").EnumerateArray().Select(p => p.GetProperty("key").GetString()));
        Assert.Equal(HttpStatusCode.Forbidden, (await GetAsync(bob, "/api/dashboard/team/search")).Status);

        // The explorer shows only bob's own requests, and refuses to be pointed at someone else.
        var (_, requests) = await GetAsync(bob, "/api/dashboard/requests?period=7d");
        var ids = requests.GetProperty("rows").EnumerateArray().Select(r => r.GetProperty("id").GetString()).ToList();
        Assert.Equal(data.Rows.Where(r => r.Person == "bob").Select(r => r.Id).Order(), ids.Order());
        Assert.Equal(HttpStatusCode.Forbidden, (await GetAsync(bob, "/api/dashboard/requests?person=ada")).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await GetAsync(bob, "/api/dashboard/requests?team=search")).Status);
        var (_, filters) = await GetAsync(bob, "/api/dashboard/filters");
        Assert.Equal(["bob"], filters.GetProperty("people").EnumerateArray().Select(p => p.GetString()));
    }

    [Fact]
    public async Task TeamLead_SeesTeamPeople_Admin_SeesEveryone_Transparency_OpensIt()
    {
        var (gateway, data) = await StartAsync();
        await using (gateway)
        {
            using var ada = gateway.Client(data.AdaKey);
            var (_, team) = await GetAsync(ada, "/api/dashboard/team/payments?period=7d");
            Assert.False(team.GetProperty("peopleHidden").GetBoolean());
            Assert.Equal(["ada", "bob"], team.GetProperty("byPerson").EnumerateArray().Select(p => p.GetProperty("key").GetString()).Order());
            Assert.Equal(HttpStatusCode.OK, (await GetAsync(ada, "/api/dashboard/person/bob")).Status);
            Assert.Equal(HttpStatusCode.Forbidden, (await GetAsync(ada, "/api/dashboard/person/cy")).Status);
            var (_, requests) = await GetAsync(ada, "/api/dashboard/requests?period=7d");
            Assert.All(requests.GetProperty("rows").EnumerateArray(), r => Assert.Equal("payments", r.GetProperty("team").GetString()));
            using var admin = gateway.Client(GatewayFixture.AdminToken);
            Assert.Equal(HttpStatusCode.OK, (await GetAsync(admin, "/api/dashboard/person/cy")).Status);
            var (_, me) = await GetAsync(ada, "/api/dashboard/me");
            Assert.Equal("lead", me.GetProperty("role").GetString());
        }
        var (open, openData) = await StartAsync(transparency: true);
        await using (open)
        {
            using var bob = open.Client(openData.BobKey);
            Assert.Equal(HttpStatusCode.OK, (await GetAsync(bob, "/api/dashboard/person/cy")).Status);
            Assert.Equal(HttpStatusCode.OK, (await GetAsync(bob, "/api/dashboard/team/search")).Status);
        }
    }

    [Fact]
    public async Task SignIn_SetsAnOpaqueHttpOnlyStrictCookie_NeverTheKey()
    {
        var (gateway, data) = await StartAsync();
        await using var _ = gateway;
        using var anonymous = gateway.Client();
        var (status, unauth) = await GetAsync(anonymous, "/api/dashboard/overview");
        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Equal("unauthenticated", unauth.GetProperty("error").GetProperty("code").GetString());
        var (_, me) = await GetAsync(anonymous, "/api/dashboard/me");
        Assert.False(me.GetProperty("signedIn").GetBoolean());

        using var bad = await anonymous.PostAsJsonAsync("/api/dashboard/session", new { key = "tok_wrong" });
        Assert.Equal(HttpStatusCode.Unauthorized, bad.StatusCode);

        using var signIn = await anonymous.PostAsJsonAsync("/api/dashboard/session", new { key = data.CyKey });
        Assert.Equal(HttpStatusCode.OK, signIn.StatusCode);
        var cookie = Assert.Single(signIn.Headers.GetValues("Set-Cookie"));
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(data.CyKey, cookie, StringComparison.Ordinal);
        Assert.DoesNotContain(data.CyKey[4..20], cookie, StringComparison.Ordinal);

        var pair = cookie.Split(';')[0];
        using var withCookie = gateway.Client();
        withCookie.DefaultRequestHeaders.Add("Cookie", pair);
        var (ok, person) = await GetAsync(withCookie, "/api/dashboard/person/cy?period=7d");
        Assert.Equal(HttpStatusCode.OK, ok);
        Assert.Equal(data.Rows.Where(r => r.Person == "cy").Sum(r => r.CostNanos), person.GetProperty("totals").GetProperty("costNanos").GetInt64());

        using var signOut = new HttpRequestMessage(HttpMethod.Delete, "/api/dashboard/session");
        signOut.Headers.Add("Cookie", pair);
        (await withCookie.SendAsync(signOut)).Dispose();
        Assert.Equal(HttpStatusCode.Unauthorized, (await GetAsync(withCookie, "/api/dashboard/person/cy")).Status);
    }

    [Fact]
    public async Task Savings_LeversAndAsAskedFromTheLedger_CacheReadsAtTheUncachedRate()
    {
        var (gateway, data) = await StartAsync();
        await using var _ = gateway;
        using var admin = gateway.Client(GatewayFixture.AdminToken);
        var (status, body) = await GetAsync(admin, "/api/dashboard/savings?period=7d");
        Assert.Equal(HttpStatusCode.OK, status);
        var rows = data.Rows;

        // Levers: the ledger's saved_* sums, one entry per lever (zero ones too), adding up to the total saving.
        var levers = body.GetProperty("byLever").EnumerateArray().ToList();
        Assert.Equal(SavingsLevers.All, levers.Select(l => l.GetProperty("lever").GetString()));
        foreach (var l in levers)
        {
            var lever = l.GetProperty("lever").GetString()!;
            Assert.Equal(rows.Sum(r => r.Savings.NanosOf(lever)), l.GetProperty("savedNanos").GetInt64());
            Assert.Equal(rows.Count(r => r.Levers is { } names && names.Split(',').Contains(lever)), l.GetProperty("requests").GetInt64());
        }
        Assert.Equal(1, levers.Single(l => l.GetProperty("lever").GetString() == SavingsLevers.Degraded).GetProperty("requests").GetInt64());
        var totals = body.GetProperty("totals");
        var saved = rows.Sum(r => r.Savings.TotalNanos);
        Assert.True(saved > 0);
        Assert.Equal(saved, totals.GetProperty("savedNanos").GetInt64());
        Assert.Equal(saved, levers.Sum(l => l.GetProperty("savedNanos").GetInt64()));
        Assert.Equal(rows.Sum(r => r.CostNanos), totals.GetProperty("costNanos").GetInt64());
        Assert.Equal(rows.Sum(r => r.AsAskedNanos), totals.GetProperty("asAskedNanos").GetInt64());
        Assert.Equal(rows.Count(r => r.Savings.Routed + r.Savings.Degraded > 0), totals.GetProperty("movedRequests").GetInt64());
        Assert.Contains("estimate", body.GetProperty("estimate").GetString(), StringComparison.Ordinal);
        foreach (var team in body.GetProperty("byTeam").EnumerateArray())
        {
            var mine = rows.Where(r => r.Team == team.GetProperty("key").GetString()).ToList();
            Assert.Equal(mine.Sum(r => r.Savings.TotalNanos), team.GetProperty("savedNanos").GetInt64());
            Assert.Equal(mine.Sum(r => r.Savings.NanosOf(SavingsLevers.Routed)), team.GetProperty("saved").GetProperty(SavingsLevers.Routed).GetInt64());
            Assert.Equal(mine.Sum(r => r.CostNanos), team.GetProperty("costNanos").GetInt64());
        }
        Assert.Equal(2, body.GetProperty("byTeam").GetArrayLength());
        Assert.Equal(3, body.GetProperty("byModel").GetArrayLength());

        // Provider prompt caching: cache reads priced at the uncached input rate.
        var catalog = BundledCatalog.Load();
        long expected = 0;
        foreach (var r in rows.Where(r => r.Usage.CacheRead > 0))
        {
            catalog.TryGet(r.ServedModel!, out var price);
            // Per model the rollup sums tokens first; with linear (untiered) prices that is the same as per row up to rounding.
            expected += NanoUsd.FromUsd(CostCalculator.Compute(price!, new TokenUsage { UncachedInput = r.Usage.CacheRead }).Total) - NanoUsd.FromUsd(r.Cost.CacheRead);
        }
        Assert.InRange(body.GetProperty("cacheSavedNanos").GetInt64(), expected - 10, expected + 10);
        Assert.Equal(rows.Count(r => r.Usage.CacheRead > 0), body.GetProperty("cacheHitRequests").GetInt64());
        var (_, budgets) = await GetAsync(admin, "/api/dashboard/budgets");
        // The budget engine always runs; this gateway has no budget configured.
        Assert.True(budgets.GetProperty("configured").GetBoolean());
        Assert.Equal(0, budgets.GetProperty("budgets").GetArrayLength());
        var (_, poker) = await GetAsync(admin, "/api/dashboard/feed/poker");
        Assert.False(poker.GetProperty("configured").GetBoolean());
    }

    [Fact]
    public async Task Savings_AreScopedByRole_DeveloperOwn_LeadTeam_AdminAll()
    {
        var (gateway, data) = await StartAsync();
        await using var _ = gateway;
        long Saved(Func<LedgerEntry, bool> which) => data.Rows.Where(which).Sum(r => r.Savings.TotalNanos);
        static long TotalSaved(JsonElement body) => body.GetProperty("totals").GetProperty("savedNanos").GetInt64();

        using var bob = gateway.Client(data.BobKey);
        var (status, own) = await GetAsync(bob, "/api/dashboard/savings?period=7d");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("bob", own.GetProperty("scope").GetProperty("person").GetString());
        Assert.Equal(Saved(r => r.Person == "bob"), TotalSaved(own));
        Assert.Equal(data.Rows.Count(r => r.Person == "bob"), own.GetProperty("totals").GetProperty("requests").GetInt64());
        Assert.Equal(["payments"], own.GetProperty("byTeam").EnumerateArray().Select(t => t.GetProperty("key").GetString()));
        Assert.Equal(HttpStatusCode.Forbidden, (await GetAsync(bob, "/api/dashboard/savings?person=ada")).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await GetAsync(bob, "/api/dashboard/savings?team=search")).Status);
        // Naming his own team still shows only his own savings.
        Assert.Equal(Saved(r => r.Person == "bob"), TotalSaved((await GetAsync(bob, "/api/dashboard/savings?period=7d&team=payments")).Body));

        using var ada = gateway.Client(data.AdaKey);
        var (_, team) = await GetAsync(ada, "/api/dashboard/savings?period=7d");
        Assert.Equal("payments", team.GetProperty("scope").GetProperty("team").GetString());
        Assert.Equal(Saved(r => r.Team == "payments"), TotalSaved(team));
        Assert.Equal(Saved(r => r.Person == "bob"), TotalSaved((await GetAsync(ada, "/api/dashboard/savings?period=7d&person=bob")).Body));
        Assert.Equal(HttpStatusCode.Forbidden, (await GetAsync(ada, "/api/dashboard/savings?person=cy")).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await GetAsync(ada, "/api/dashboard/savings?team=search")).Status);

        using var admin = gateway.Client(GatewayFixture.AdminToken);
        Assert.Equal(Saved(_ => true), TotalSaved((await GetAsync(admin, "/api/dashboard/savings?period=7d")).Body));
        Assert.Equal(Saved(r => r.Team == "search"), TotalSaved((await GetAsync(admin, "/api/dashboard/savings?period=7d&team=search")).Body));
        Assert.True(Saved(r => r.Team == "search") > 0);
    }

    [Fact]
    public async Task RowsWrittenByTheGateway_ReachTheRollups()
    {
        var (gateway, data) = await StartAsync();
        await using var _ = gateway;
        using var cy = gateway.Client(data.CyKey);
        using var response = await cy.PostAsJsonAsync("/v1/chat/completions", new { model = "gpt-4o-mini", messages = new[] { new { role = "user", content = "hi" } } });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var ledger = await gateway.LedgerAsync(data.Rows.Count + 1);
        var live = Assert.Single(ledger, r => !r.Id.StartsWith("evt_dash_", StringComparison.Ordinal));
        var (_, person) = await GetAsync(cy, "/api/dashboard/person/cy?period=today");
        var today = data.Rows.Where(r => r.Person == "cy" && r.StartedAt.UtcDateTime.Date == DateTime.UtcNow.Date).Sum(r => r.CostNanos);
        Assert.Equal(today + live.CostNanos, person.GetProperty("totals").GetProperty("costNanos").GetInt64());
        Assert.Equal(LedgerOutcome.Ok, live.Outcome);
    }

    /// <summary>A gateway with poker (anonymised), budgets, two outcomes, two alerts and a fresh request each for ada and bob.</summary>
    internal static async Task<(GatewayFixture Gateway, DashboardData Data)> StartWithFeedsAsync(bool anonymised = true)
    {
        var gateway = await GatewayFixture.StartAsync(o =>
        {
            o.Dashboard.TeamLeads[DashboardData.Payments] = ["ada"];
            o.Poker.Enabled = true;
            o.Poker.Anonymised = anonymised;
            o.Budgets.Organisation = new BudgetOptions { LimitUsd = 50m, Period = "monthly" };
            o.Budgets.Teams[DashboardData.Payments] = new BudgetOptions { LimitUsd = 0.05m, Period = "monthly", Mode = "soft" };
            o.Budgets.Teams[DashboardData.Search] = new BudgetOptions { LimitUsd = 20m, Period = "monthly" };
            o.Budgets.People["ada"] = new BudgetOptions { LimitUsd = 10m, Period = "monthly" };
        });
        var now = DateTimeOffset.UtcNow;
        var data = DashboardData.Seed(gateway, now);
        // Spend in this poker week for ada and bob (the seeded rows may all fall before Monday).
        foreach (var key in new[] { data.AdaKey, data.BobKey })
        {
            using var client = gateway.Client(key);
            using var response = await client.PostAsJsonAsync("/v1/chat/completions", new { model = "gpt-4o-mini", messages = new[] { new { role = "user", content = "hi" } } });
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
        await gateway.LedgerAsync(data.Rows.Count + 2);
        using var admin = gateway.Client(GatewayFixture.AdminToken);
        static string Iso(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture);
        foreach (var body in new[]
        {
            $$"""{"type":"pr","title":"Checkout retry","id":"acme/shop#9","person":"ada","startedAt":"{{Iso(now.AddHours(-30))}}","completedAt":"{{Iso(now.AddMinutes(-5))}}","valueUsd":250}""",
            $$"""{"type":"ticket","title":"Search ranking","id":"SRCH-1","person":"cy","startedAt":"{{Iso(now.AddHours(-30))}}","completedAt":"{{Iso(now.AddMinutes(-4))}}"}""",
        })
        {
            using var added = await admin.PostAsync("/admin/outcomes", new StringContent(body, Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.Created, added.StatusCode);
        }
        var store = gateway.App.Services.GetRequiredService<IAlertStore>();
        var start = new DateTimeOffset(now.Year, now.Month, 1, 0, 0, 0, TimeSpan.Zero);
        foreach (var (team, limit) in new[] { (DashboardData.Payments, 0.05m), (DashboardData.Search, 20m) })
        {
            var key = Alert.KeyFor("team:" + team, start, AlertKind.Threshold, 80);
            Assert.True(store.TryAdd(new Alert("alt_" + team, key, AlertKind.Threshold, "team:" + team, BudgetLevel.Team, team, 80, limit, limit,
                null, start, start.AddMonths(1), $"team {team} reached 80% of its budget", now.AddMinutes(-1)), []));
        }
        return (gateway, data);
    }

    [Fact]
    public async Task PokerFeed_EqualsTheGame_AnonymisedForEveryone_ViewerRowMarked()
    {
        var (gateway, data) = await StartWithFeedsAsync(anonymised: true);
        await using var _g = gateway;
        var game = gateway.App.Services.GetRequiredService<PokerGame>();
        var expected = game.Leaderboard(game.WeekStart(DateTimeOffset.UtcNow), "bob");
        Assert.True(expected.Rows.Count >= 2);
        using var bob = gateway.Client(data.BobKey);
        var (status, body) = await GetAsync(bob, "/api/dashboard/feed/poker");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.True(body.GetProperty("anonymised").GetBoolean());
        var players = body.GetProperty("players").EnumerateArray().ToList();
        Assert.Equal(expected.Rows.Count, players.Count);
        Assert.Equal(expected.Rows.Select(r => r.Spent), players.Select(p => p.GetProperty("spent_usd").GetDecimal()));
        Assert.All(players, p => Assert.StartsWith("Player ", p.GetProperty("player").GetString(), StringComparison.Ordinal));
        Assert.All(players, p => Assert.Equal(JsonValueKind.Null, p.GetProperty("team").ValueKind));
        var mine = Assert.Single(players, p => p.GetProperty("you").GetBoolean());
        Assert.Equal(expected.Rows.Single(r => r.You).Spent, mine.GetProperty("spent_usd").GetDecimal());
        Assert.DoesNotContain("\"ada\"", body.GetRawText(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task PokerFeed_NamedWhenChosen_NotConfiguredWhenOff()
    {
        var (gateway, data) = await StartWithFeedsAsync(anonymised: false);
        await using (gateway)
        {
            using var bob = gateway.Client(data.BobKey);
            var (_, body) = await GetAsync(bob, "/api/dashboard/feed/poker");
            var names = body.GetProperty("players").EnumerateArray().Select(p => p.GetProperty("player").GetString()).ToList();
            Assert.Contains("ada", names);
            Assert.Equal("bob", Assert.Single(body.GetProperty("players").EnumerateArray(), p => p.GetProperty("you").GetBoolean()).GetProperty("player").GetString());
        }
        var (off, _) = await StartAsync();
        await using (off)
        {
            using var admin = off.Client(GatewayFixture.AdminToken);
            var (_, body) = await GetAsync(admin, "/api/dashboard/feed/poker");
            Assert.False(body.GetProperty("configured").GetBoolean());
        }
    }

    [Fact]
    public async Task OutcomesFeed_EqualsTheReport_DeveloperSeesOnlyOwnRowsAndTeamAggregates()
    {
        var (gateway, data) = await StartWithFeedsAsync();
        await using var _g = gateway;
        using var admin = gateway.Client(GatewayFixture.AdminToken);
        var (status, body) = await GetAsync(admin, "/api/dashboard/feed/outcomes?period=7d");
        Assert.Equal(HttpStatusCode.OK, status);
        var from = body.GetProperty("period").GetProperty("from").GetDateTimeOffset();
        var to = body.GetProperty("period").GetProperty("to").GetDateTimeOffset();
        var report = gateway.App.Services.GetRequiredService<OutcomeService>().Report(new TokenOps.Core.Outcomes.ReportPeriod(from, to), "team");
        Assert.Equal(2, report.CostPerOutcome.Count);
        var summary = body.GetProperty("summary");
        Assert.Equal("organisation", body.GetProperty("scope").GetString());
        Assert.Equal(report.CostPerOutcome.Count, summary.GetProperty("outcomes").GetInt32());
        Assert.Equal(report.CostPerOutcome.Median, summary.GetProperty("medianUsd").GetDecimal());
        Assert.Equal(report.CostPerOutcome.P90, summary.GetProperty("p90Usd").GetDecimal());
        Assert.Equal(report.Spend.UnlinkedShare, summary.GetProperty("unlinkedShare").GetDecimal());
        Assert.Equal(report.Spend.TotalUsd, summary.GetProperty("spendUsd").GetDecimal());
        Assert.Equal(report.Roi.Formula, summary.GetProperty("roiFormula").GetString());
        Assert.Equal(report.Roi.Roi, summary.GetProperty("roi").ValueKind == JsonValueKind.Null ? null : summary.GetProperty("roi").GetDecimal());
        // The ledger spend the report reconciles is this gateway's ledger total for the period.
        var ledger = await gateway.LedgerAsync(data.Rows.Count + 2);
        Assert.Equal(ledger.Where(r => r.StartedAt >= from && r.StartedAt < to).Sum(r => r.CostNanos), report.Spend.TotalNanos);
        var byType = body.GetProperty("byType").EnumerateArray().ToList();
        Assert.Equal(report.ByType.Select(t => (t.Type, t.CostPerOutcome.Count, t.CostPerOutcome.Median, t.CostPerOutcome.P90)),
            byType.Select(t => (t.GetProperty("type").GetString()!, t.GetProperty("count").GetInt32(), t.GetProperty("medianUsd").GetDecimal(), t.GetProperty("p90Usd").GetDecimal())));
        Assert.Equal(2, body.GetProperty("distribution").EnumerateArray().Sum(d => d.GetProperty("count").GetInt32()));
        var rows = body.GetProperty("rows").EnumerateArray().ToList();
        Assert.Equal(["ada", "cy"], rows.Select(r => r.GetProperty("person").GetString()).Order());
        Assert.Equal(report.Outcomes.Single(o => o.Person == "ada").CostUsd, rows.Single(r => r.GetProperty("person").GetString() == "ada").GetProperty("costUsd").GetDecimal());

        // bob (developer, payments): no one else's rows, the payments team's aggregates only.
        using var bob = gateway.Client(data.BobKey);
        var (_, mine) = await GetAsync(bob, "/api/dashboard/feed/outcomes?period=7d");
        Assert.Equal("team payments", mine.GetProperty("scope").GetString());
        Assert.Empty(mine.GetProperty("rows").EnumerateArray());
        Assert.Equal(2, mine.GetProperty("rowsHidden").GetInt32());
        Assert.Equal([DashboardData.Payments], mine.GetProperty("byTeam").EnumerateArray().Select(t => t.GetProperty("team").GetString()));
        var payments = report.Groups.Single(g => g.Key == DashboardData.Payments);
        Assert.Equal(payments.Outcomes, mine.GetProperty("summary").GetProperty("outcomes").GetInt32());
        Assert.Equal(payments.SpendUsd, mine.GetProperty("summary").GetProperty("spendUsd").GetDecimal());
        Assert.Equal(["pr"], mine.GetProperty("byType").EnumerateArray().Select(t => t.GetProperty("type").GetString()));
        Assert.Equal(JsonValueKind.Null, mine.GetProperty("trend").ValueKind);
        Assert.DoesNotContain("Search ranking", mine.GetRawText(), StringComparison.Ordinal);
        Assert.DoesNotContain("Checkout retry", mine.GetRawText(), StringComparison.Ordinal);
        var (_, adaAsBob) = await GetAsync(bob, "/api/dashboard/feed/outcomes?period=7d&person=ada");
        Assert.Equal(0, adaAsBob.GetProperty("outcomes").GetInt32());
        Assert.Empty(adaAsBob.GetProperty("rows").EnumerateArray());

        // The person page's "what the spend bought": ada's lead (ada herself) sees her outcome and its cost.
        using var ada = gateway.Client(data.AdaKey);
        var (_, adaOwn) = await GetAsync(ada, "/api/dashboard/feed/outcomes?period=7d&person=ada");
        Assert.Equal(1, adaOwn.GetProperty("outcomes").GetInt32());
        Assert.Equal(report.Outcomes.Single(o => o.Person == "ada").CostUsd, adaOwn.GetProperty("linkedCostUsd").GetDecimal());
        var (_, cyAsAda) = await GetAsync(ada, "/api/dashboard/feed/outcomes?period=7d&person=cy");
        Assert.Empty(cyAsAda.GetProperty("rows").EnumerateArray());
    }

    [Fact]
    public async Task AlertsFeed_ForecastsEqualTheEngine_OnlyVisibleBudgets()
    {
        var (gateway, data) = await StartWithFeedsAsync();
        await using var _g = gateway;
        var engine = gateway.App.Services.GetRequiredService<AlertEngine>();
        var expected = engine.Forecasts();
        // Organisation, two teams, ada's own budget, and the poker players' weekly hands.
        Assert.True(expected.Count >= 4);
        Assert.Contains(expected, f => f.Level == BudgetLevel.Person && f.Name == "ada");
        using var admin = gateway.Client(GatewayFixture.AdminToken);
        var (_, body) = await GetAsync(admin, "/api/dashboard/feed/alerts?period=7d");
        var forecasts = body.GetProperty("forecasts").EnumerateArray().ToList();
        Assert.Equal(expected.Count, forecasts.Count);
        foreach (var f in expected)
        {
            var row = forecasts.Single(x => x.GetProperty("budget").GetString() == f.BudgetId);
            Assert.Equal(f.Limit, row.GetProperty("limitUsd").GetDecimal());
            Assert.Equal(f.Committed, row.GetProperty("committedUsd").GetDecimal());
            // The projection moves with the clock between the two reads: equal to well under a cent.
            Assert.InRange(row.GetProperty("projectedUsd").GetDecimal(), f.Projected - 0.0001m, f.Projected + 0.0001m);
            Assert.True(row.GetProperty("projectedLowUsd").GetDecimal() <= row.GetProperty("projectedUsd").GetDecimal());
            Assert.True(row.GetProperty("projectedHighUsd").GetDecimal() >= row.GetProperty("projectedUsd").GetDecimal());
            Assert.Equal(f.RunsOutBeforePeriodEnd, row.GetProperty("runsOutBeforePeriodEnd").GetBoolean());
        }
        // The two alerts the setup raised (the alert engine may add real ones for the tiny payments budget).
        var adminAlerts = body.GetProperty("alerts").EnumerateArray().Select(a => a.GetProperty("level").GetString() + ":" + a.GetProperty("name").GetString()).ToList();
        Assert.Contains("team:search", adminAlerts);
        Assert.Contains("team:payments", adminAlerts);

        using var bob = gateway.Client(data.BobKey);
        var (_, mine) = await GetAsync(bob, "/api/dashboard/feed/alerts?period=7d");
        var seen = mine.GetProperty("forecasts").EnumerateArray().Select(f => f.GetProperty("level").GetString() + ":" + f.GetProperty("name").GetString()).ToList();
        Assert.Contains("team:payments", seen);
        Assert.Contains(seen, f => f.StartsWith("organisation:", StringComparison.Ordinal));
        Assert.All(seen, f => Assert.True(f.StartsWith("organisation:", StringComparison.Ordinal) || f is "team:payments" or "person:bob", f));
        Assert.Equal(expected.Count(f => f.Level == BudgetLevel.Organisation || (f.Level == BudgetLevel.Team && f.Name == DashboardData.Payments) || (f.Level == BudgetLevel.Person && f.Name == "bob")), seen.Count);
        var bobAlerts = mine.GetProperty("alerts").EnumerateArray().Select(a => a.GetProperty("level").GetString() + ":" + a.GetProperty("name").GetString()).ToList();
        Assert.Contains("team:payments", bobAlerts);
        Assert.All(bobAlerts, a => Assert.True(a.StartsWith("organisation:", StringComparison.Ordinal) || a is "team:payments" or "person:bob", a));
        // Yesterday's period has none of today's alerts.
        var (_, yesterday) = await GetAsync(admin, "/api/dashboard/feed/alerts?period=yesterday");
        Assert.Equal(0, yesterday.GetProperty("alerts").GetArrayLength());
    }
}
