using System.Net;
using TokenOps.TestServers;

namespace TokenOps.Gateway.Tests.Fleet;

/// <summary>Three replicas on one Redis count one rate limit: a team's requests per minute are the fleet's, not each replica's.</summary>
[Collection(PostgresCollection.Name)]
public sealed class FleetRateLimitTests(PostgresServer server, RedisServer redis) : IClassFixture<RedisServer>
{
    [Fact]
    public async Task A_team_limit_of_ten_requests_a_minute_holds_across_three_replicas()
    {
        await using var fleet = await Fleet.StartAsync(3, server.Database(nameof(FleetRateLimitTests)), redis.ConnectionString,
            extra: """ "rateLimits": { "teams": { "payments": { "requestsPerMinute": 10 } } }, """);
        var keys = new[] { await fleet.CreateKeyAsync("ada", "payments"), await fleet.CreateKeyAsync("bo", "payments") };
        // Minutes are fixed windows: start well inside one, so that all 24 requests fall in it.
        var second = DateTime.UtcNow.Second;
        if (second > 40) await Task.Delay(TimeSpan.FromSeconds(61 - second));

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 24; i++)
        {
            using var http = fleet.Client(keys[i % 2], replica: i % 3);
            using var response = await http.PostAsync("/v1/chat/completions", Fleet.ChatBody(stream: false));
            statuses.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                Assert.True(response.Headers.RetryAfter?.Delta > TimeSpan.Zero, "429 without Retry-After");
                Assert.Contains("rate_limit_exceeded", await response.Content.ReadAsStringAsync());
            }
        }
        Assert.Equal(10, statuses.Count(s => s == HttpStatusCode.OK));
        Assert.Equal(14, statuses.Count(s => s == HttpStatusCode.TooManyRequests));
        // Every request, refused or not, is one ledger row.
        var ledger = await fleet.LedgerAsync(24);
        Assert.Equal(24, ledger.Rows);
    }
}
