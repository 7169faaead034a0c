using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using TokenOps.Core.Ledger;
using TokenOps.Core.Metering;
using TokenOps.Core.Pricing;
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
    public async Task Savings_PriceCacheHitsAtTheUncachedRate_AndCountDegraded()
    {
        var (gateway, data) = await StartAsync();
        await using var _ = gateway;
        using var admin = gateway.Client(GatewayFixture.AdminToken);
        var (_, body) = await GetAsync(admin, "/api/dashboard/savings?period=7d");
        var catalog = BundledCatalog.Load();
        long expected = 0;
        foreach (var r in data.Rows.Where(r => r.Usage.CacheRead > 0))
        {
            catalog.TryGet(r.ServedModel!, out var price);
            // Per model the rollup sums tokens first; with linear (untiered) prices that is the same as per row up to rounding.
            expected += NanoUsd.FromUsd(CostCalculator.Compute(price!, new TokenUsage { UncachedInput = r.Usage.CacheRead }).Total) - NanoUsd.FromUsd(r.Cost.CacheRead);
        }
        Assert.InRange(body.GetProperty("cacheSavedNanos").GetInt64(), expected - 10, expected + 10);
        Assert.Equal(data.Rows.Count(r => r.Usage.CacheRead > 0), body.GetProperty("cacheHitRequests").GetInt64());
        Assert.Equal(1, body.GetProperty("degradedRequests").GetInt64());
        Assert.True(body.GetProperty("degradedSavedNanos").GetInt64() > 0);
        var (_, budgets) = await GetAsync(admin, "/api/dashboard/budgets");
        // The budget engine always runs; this gateway has no budget configured.
        Assert.True(budgets.GetProperty("configured").GetBoolean());
        Assert.Equal(0, budgets.GetProperty("budgets").GetArrayLength());
        var (_, poker) = await GetAsync(admin, "/api/dashboard/feed/poker");
        Assert.False(poker.GetProperty("configured").GetBoolean());
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
}
