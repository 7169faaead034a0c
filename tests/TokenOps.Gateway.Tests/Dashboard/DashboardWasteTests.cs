using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
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
}
