using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using TokenOps.TestServers;

namespace TokenOps.Gateway.Tests.Fleet;

/// <summary>
/// Three replicas, one PostgreSQL, one Redis, 1,000 requests at once (streamed and not; two keys of one person; other
/// people of the same team) against hard person, team and organisation budgets: each budget's spend stays within its
/// limit plus one request, no request hangs, and every refusal is a 402 with its error body and a ledger row.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class FleetBudgetTests(PostgresServer server, RedisServer redis) : IClassFixture<RedisServer>
{
    private const decimal PersonLimit = 0.004m, TeamLimit = 0.010m, OrganisationLimit = 0.014m;

    [Fact]
    public async Task A_thousand_concurrent_requests_through_three_replicas_never_spend_past_the_hard_limits()
    {
        var extra = $$"""
            "budgets": {
              "organisation": { "limitUsd": {{OrganisationLimit}}, "period": "monthly" },
              "teams": { "payments": { "limitUsd": {{TeamLimit}}, "period": "monthly" } },
              "people": { "ada": { "limitUsd": {{PersonLimit}}, "period": "monthly" } }
            },
            """;
        await using var fleet = await Fleet.StartAsync(3, server.Database(nameof(FleetBudgetTests)), redis.ConnectionString, extra);
        string[] keys =
        [
            await fleet.CreateKeyAsync("ada", "payments"), await fleet.CreateKeyAsync("ada", "payments"), // two keys of one person
            await fleet.CreateKeyAsync("bo", "payments"), await fleet.CreateKeyAsync("cy", "payments"),
            await fleet.CreateKeyAsync("dee", "search"), // another team: only the organisation's budget binds her
        ];
        var statuses = new ConcurrentBag<int>();
        var problems = new ConcurrentBag<string>();
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        await Parallel.ForAsync(0, 1000, new ParallelOptions { MaxDegreeOfParallelism = 96, CancellationToken = deadline.Token }, async (i, ct) =>
        {
            using var http = fleet.Client(keys[i % keys.Length], replica: i % 3);
            http.Timeout = TimeSpan.FromSeconds(60); // a hang fails the test
            using var response = await http.PostAsync("/v1/chat/completions", Fleet.ChatBody(stream: i % 2 == 0, maxTokens: 60), ct);
            var body = await response.Content.ReadAsStringAsync(ct);
            statuses.Add((int)response.StatusCode);
            if (response.StatusCode == HttpStatusCode.PaymentRequired)
            {
                var error = JsonDocument.Parse(body).RootElement.GetProperty("error");
                if (error.GetProperty("code").GetString() is not { Length: > 0 }) problems.Add("402 without an error code: " + body);
            }
            else if (response.StatusCode != HttpStatusCode.OK) problems.Add($"{(int)response.StatusCode}: {body}");
        });

        Assert.Empty(problems);
        Assert.Equal(1000, statuses.Count);
        Assert.Contains(200, statuses);
        Assert.Contains(402, statuses);
        var ledger = await fleet.LedgerAsync(1000, TimeSpan.FromSeconds(60));
        Assert.Equal(1000, ledger.Rows); // refusals included: one row per request

        // One request's worst case: the most any single row cost (reservations are at least that).
        var worst = fleet.SpentNanos("true") == 0 ? 0 : MaxRowNanos(fleet);
        Assert.InRange(fleet.SpentNanos("person = 'ada'"), 1, Nanos(PersonLimit) + worst);
        Assert.InRange(fleet.SpentNanos("team = 'payments'"), 1, Nanos(TeamLimit) + worst);
        Assert.InRange(fleet.SpentNanos("true"), 1, Nanos(OrganisationLimit) + worst);
        // The organisation's budget was reached, not left half spent by an over-cautious fleet.
        Assert.True(fleet.SpentNanos("true") > Nanos(OrganisationLimit) * 8 / 10, $"spent only {fleet.SpentNanos("true")} of {Nanos(OrganisationLimit)}");
    }

    private static long Nanos(decimal usd) => (long)(usd * 1_000_000_000m);

    private static long MaxRowNanos(Fleet fleet)
    {
        using var c = new Npgsql.NpgsqlConnection(fleet.Postgres);
        c.Open();
        using var q = new Npgsql.NpgsqlCommand("SELECT MAX(cost_nanos) FROM ledger", c);
        return (long)q.ExecuteScalar()!;
    }
}
