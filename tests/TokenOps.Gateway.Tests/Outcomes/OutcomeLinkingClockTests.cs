using TokenOps.Cli.Simulation;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using TokenOps.Gateway.Configuration;
using TokenOps.Gateway.Tests.Infrastructure;
using TokenOps.Storage.Sqlite;

namespace TokenOps.Gateway.Tests.Outcomes;

/// <summary>
/// End to end on a fake clock: ledger rows get the clock's times, PR webhooks arrive afterwards, and the report links
/// (and, when a later outcome arrives, relinks) past spend by the documented rules.
/// </summary>
public sealed class OutcomeLinkingClockTests
{
    private sealed class ManualClock(DateTimeOffset now) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = now;
        public override DateTimeOffset GetUtcNow() => Now;
    }

    private static readonly DateTimeOffset Monday = new(2026, 11, 16, 0, 0, 0, TimeSpan.Zero);

    private static string Pr(int number, string branch, DateTimeOffset created, DateTimeOffset merged) => JsonSerializer.Serialize(new
    {
        action = "closed",
        number,
        pull_request = new
        {
            number, title = $"PR {number}", merged = true, merged_at = merged, created_at = created,
            user = new { login = "octocat" }, head = new { @ref = branch },
        },
        repository = new { full_name = "acme/shop" },
    });

    [Fact]
    public async Task AuthorWindow_Branch_Explicit_AndALateOutcomeRelinksPastSpend()
    {
        Environment.SetEnvironmentVariable(GatewayFixture.AdminTokenVariable, GatewayFixture.AdminToken);
        Environment.SetEnvironmentVariable("TOKENOPS_TEST_CLOCK_GH_SECRET", "clock-secret");
        var dir = Path.Combine(Path.GetTempPath(), "tokenops-tests", Guid.NewGuid().ToString("N"));
        var clock = new ManualClock(Monday.AddHours(10));
        var options = new GatewayOptions { DataDirectory = dir, AdminTokenEnv = GatewayFixture.AdminTokenVariable };
        options.Outcomes.GitHubSecretEnv = "TOKENOPS_TEST_CLOCK_GH_SECRET";
        options.Outcomes.People["octocat"] = "ada";
        await using var simulator = await SimulatedProvider.StartAsync();
        var app = await GatewayHost.StartAsync(new GatewaySettings
        {
            Options = options, Urls = ["http://127.0.0.1:0"], SimulatorUrl = simulator.Url, Time = clock,
        });
        try
        {
            var key = app.Services.GetRequiredService<IKeyStore>().Create("ada", "core").Secret;
            using var http = new HttpClient { BaseAddress = app.BaseUrl };
            using var admin = new HttpClient { BaseAddress = app.BaseUrl };
            admin.DefaultRequestHeaders.Authorization = new("Bearer", GatewayFixture.AdminToken);

            async Task Chat(DateTimeOffset at, string? header = null, string? value = null)
            {
                clock.Now = at;
                using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
                {
                    Content = new StringContent("""{"model":"gpt-4o-mini","messages":[{"role":"user","content":"go"}]}""", Encoding.UTF8, "application/json"),
                };
                request.Headers.Authorization = new("Bearer", key);
                if (header is not null) request.Headers.Add(header, value);
                using var response = await http.SendAsync(request);
                Assert.Equal(200, (int)response.StatusCode);
            }

            async Task Webhook(string body, string delivery)
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, "/webhooks/github") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
                request.Headers.Add("X-Hub-Signature-256", TokenOps.Gateway.Outcomes.WebhookSignature.Sign("clock-secret", Encoding.UTF8.GetBytes(body)));
                request.Headers.Add("X-GitHub-Delivery", delivery);
                request.Headers.Add("X-GitHub-Event", "pull_request");
                using var response = await http.SendAsync(request);
                Assert.Equal(201, (int)response.StatusCode);
            }

            async Task<JsonElement> Report()
            {
                var json = await admin.GetStringAsync("/admin/outcomes/report?since=2026-11-16&until=2026-11-20");
                return JsonDocument.Parse(json).RootElement;
            }

            await Chat(Monday.AddHours(10));                                          // in PR 42's window
            await Chat(Monday.AddHours(20), "X-TokenOps-Ticket", "PROJ-404");          // unknown ticket: falls through to the window
            await Chat(Monday.AddDays(1).AddHours(12), "X-TokenOps-Tags", "branch=feat/cart"); // after PR 42 merged: no branch link
            await Chat(Monday.AddDays(1).AddHours(13), "X-TokenOps-PR", "acme/shop#42");    // explicit, even after the merge
            await app.FlushLedgerAsync();
            var rows = app.Services.GetRequiredService<TokenOps.Core.Ledger.ILedgerStore>().Read();
            Assert.Equal(4, rows.Count);
            Assert.Equal(Monday.AddHours(10), rows[0].StartedAt); // the fake clock stamps the ledger
            long Cost(int i) => rows[i].CostNanos;

            await Webhook(Pr(42, "feat/cart", Monday.AddHours(9), Monday.AddDays(1)), "c-1");
            var first = await Report();
            var spend = first.GetProperty("spend");
            Assert.Equal(Cost(0) + Cost(1) + Cost(3), spend.GetProperty("linkedNanos").GetInt64());
            Assert.Equal(Cost(2), spend.GetProperty("unlinkedNanos").GetInt64());

            // A later PR whose window holds the unlinked request arrives: the same ledger now links to it.
            await Webhook(Pr(43, "feat/next", Monday.AddDays(1).AddHours(11), Monday.AddDays(2)), "c-2");
            var second = await Report();
            spend = second.GetProperty("spend");
            Assert.Equal(0, spend.GetProperty("unlinkedNanos").GetInt64());
            Assert.Equal(rows.Sum(r => r.CostNanos), spend.GetProperty("totalNanos").GetInt64());
            var costs = second.GetProperty("outcomes").EnumerateArray().ToDictionary(o => o.GetProperty("id").GetString()!, o => o.GetProperty("costUsd").GetDecimal());
            Assert.Equal(TokenOps.Core.Pricing.NanoUsd.ToUsd(Cost(0) + Cost(1) + Cost(3)), costs["github-pr:acme/shop#42"]);
            Assert.Equal(TokenOps.Core.Pricing.NanoUsd.ToUsd(Cost(2)), costs["github-pr:acme/shop#43"]);
            Assert.Equal(TokenOps.Core.Pricing.NanoUsd.ToUsd(Cost(3)), spend.GetProperty("linkedUsdByRule").GetProperty("explicit").GetDecimal());
        }
        finally
        {
            await app.DisposeAsync();
            try { Directory.Delete(dir, true); } catch (IOException) { }
        }
    }
}
