using System.Net;
using System.Text;
using System.Text.Json;
using TokenOps.Core.Ledger;
using TokenOps.Core.Pricing;
using TokenOps.Gateway.Configuration;
using TokenOps.Gateway.Tests.Budgets;
using TokenOps.Gateway.Tests.Infrastructure;
using TokenOps.Storage;
using TokenOps.TestServers;

namespace TokenOps.Gateway.Tests.Fleet;

/// <summary>
/// Gateways sharing budget counters through one Redis: two replicas enforce one hard budget between them, and a Redis
/// outage refuses with 503 in the client's protocol (fail-closed) or keeps serving on local counters (fail-open).
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class SharedBudgetFleetTests
{
    private const string RedisVariable = "TOKENOPS_TEST_REDIS";
    private readonly RedisServer _redis;

    public SharedBudgetFleetTests(RedisServer redis)
    {
        _redis = redis;
        redis.Start();
        redis.Wipe();
        Environment.SetEnvironmentVariable(RedisVariable, redis.ConnectionString);
    }

    private static Task<GatewayFixture> Replica(string onFailure, decimal limit) => GatewayFixture.StartAsync(o =>
    {
        o.Budgets.Teams["core"] = new BudgetOptions { LimitUsd = limit, Period = "daily" };
        o.Redis = new RedisOptions { ConnectionStringEnv = RedisVariable, OnFailure = onFailure };
    });

    [Fact]
    public async Task Two_gateways_on_one_redis_never_spend_past_one_hard_team_budget_together()
    {
        const decimal limit = 0.002m;
        await using var a = await Replica(RedisFailureModes.FailClosed, limit);
        await using var b = await Replica(RedisFailureModes.FailClosed, limit);
        var clients = new[] { a.Client(a.CreateKey("p1", "core")), b.Client(b.CreateKey("p2", "core")) };
        // Eight workers, four per replica, twenty requests each: holds come and go, so the budget fills up to its limit.
        var workers = Enumerable.Range(0, 8).Select(async w =>
        {
            var results = new List<(HttpStatusCode StatusCode, string Body)>();
            for (var i = 0; i < 20; i++)
            {
                using var response = await clients[w % 2].SendAsync(BudgetRequests.Chat(maxTokens: 100 + (w + i) % 7 * 40, stream: i % 3 == 0));
                results.Add((response.StatusCode, await response.Content.ReadAsStringAsync()));
            }
            return results;
        }).ToArray();
        var results = (await Task.WhenAll(workers).WaitAsync(TimeSpan.FromSeconds(120))).SelectMany(r => r).ToList();

        var rows = (await a.LedgerAsync(80)).Concat(await b.LedgerAsync(80)).ToList();
        Assert.Equal(160, rows.Count);
        var spent = rows.Sum(r => r.CostNanos);
        // Each replica alone would have let through up to the whole limit; together they stay within it.
        Assert.True(spent <= NanoUsd.FromUsd(limit), $"fleet spent {spent} nanos > budget {NanoUsd.FromUsd(limit)}");
        Assert.True(spent > NanoUsd.FromUsd(limit) / 2, $"fleet spent only {spent} nanos: the budget was hardly used");
        var refusal = results.First(r => r.StatusCode == HttpStatusCode.PaymentRequired);
        using var body = JsonDocument.Parse(refusal.Body);
        Assert.Equal("budget_exceeded", body.RootElement.GetProperty("error").GetProperty("code").GetString());
        Assert.Equal("team:core", body.RootElement.GetProperty("error").GetProperty("budget").GetString());
        Assert.All(results, r => Assert.True(r.StatusCode is HttpStatusCode.OK or HttpStatusCode.PaymentRequired,
            r.StatusCode + string.Join("\n", a.Logs.Lines.Concat(b.Logs.Lines).Where(l => l.Contains("unreachable", StringComparison.Ordinal)))));
        // Nothing stays held once every request settled, on either replica's view of the shared counter.
        var team = Assert.Single(await a.SettledSnapshotsAsync());
        Assert.Equal((spent, 0m), (NanoUsd.FromUsd(team.Spent), team.Reserved));
        foreach (var c in clients) c.Dispose();
    }

    [Fact]
    public async Task A_budget_spent_through_one_gateway_is_refused_by_the_other()
    {
        const decimal limit = 0.001m;
        await using var a = await Replica(RedisFailureModes.FailClosed, limit);
        await using var b = await Replica(RedisFailureModes.FailClosed, limit);
        using var first = a.Client(a.CreateKey("p1", "core"));
        using var second = b.Client(b.CreateKey("p2", "core"));
        var refusedOnA = false;
        for (var i = 0; i < 100 && !refusedOnA; i++)
        {
            using var response = await first.SendAsync(BudgetRequests.Chat(maxTokens: 300));
            refusedOnA = response.StatusCode == HttpStatusCode.PaymentRequired;
        }
        Assert.True(refusedOnA);
        var spentOnA = (await a.StableLedgerAsync()).Sum(r => r.CostNanos);
        // B has served nothing: on its own counters it would admit this request; the shared counter says no.
        using var refused = await second.SendAsync(BudgetRequests.Chat(maxTokens: 300));
        Assert.Equal(HttpStatusCode.PaymentRequired, refused.StatusCode);
        using var body = JsonDocument.Parse(await refused.Content.ReadAsStringAsync());
        var error = body.RootElement.GetProperty("error");
        Assert.Equal(("budget_exceeded", "team:core"), (error.GetProperty("code").GetString(), error.GetProperty("budget").GetString()));
        Assert.Equal(NanoUsd.ToUsd(spentOnA), error.GetProperty("spent_usd").GetDecimal());
        Assert.True(spentOnA <= NanoUsd.FromUsd(limit));
    }

    [Fact]
    public async Task Redis_down_with_fail_closed_refuses_with_503_in_each_protocols_format_and_records_the_refusal()
    {
        await using var gateway = await Replica(RedisFailureModes.FailClosed, 5m);
        using var client = gateway.Client(gateway.CreateKey("p1", "core"));
        using (var warm = await client.SendAsync(BudgetRequests.Chat())) Assert.Equal(HttpStatusCode.OK, warm.StatusCode);
        _redis.Stop();
        try
        {
            using var openai = await client.SendAsync(BudgetRequests.Chat());
            Assert.Equal(HttpStatusCode.ServiceUnavailable, openai.StatusCode);
            using (var body = JsonDocument.Parse(await openai.Content.ReadAsStringAsync()))
            {
                var error = body.RootElement.GetProperty("error");
                Assert.Equal("server_error", error.GetProperty("type").GetString());
                Assert.Equal("budget_counters_unavailable", error.GetProperty("code").GetString());
                Assert.DoesNotContain(_redis.Port.ToString(), error.GetProperty("message").GetString());
            }
            using var messages = new HttpRequestMessage(HttpMethod.Post, "/v1/messages")
            {
                Content = new StringContent("""{"model":"claude-haiku-4-5","max_tokens":50,"messages":[{"role":"user","content":"hello"}]}""", Encoding.UTF8, "application/json"),
            };
            messages.Headers.Add("anthropic-version", "2023-06-01");
            using var anthropic = await client.SendAsync(messages);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, anthropic.StatusCode);
            using (var body = JsonDocument.Parse(await anthropic.Content.ReadAsStringAsync()))
            {
                Assert.Equal("error", body.RootElement.GetProperty("type").GetString());
                Assert.Equal("api_error", body.RootElement.GetProperty("error").GetProperty("type").GetString());
                Assert.Equal("budget_counters_unavailable", body.RootElement.GetProperty("error").GetProperty("code").GetString());
            }
        }
        finally
        {
            _redis.Start();
        }
        var rows = await gateway.LedgerAsync(3);
        Assert.Equal(2, rows.Count(r => r.Status == 503 && r.Outcome == LedgerOutcome.Refused && r.ErrorCode == "budget_counters_unavailable"));
        Assert.Single(gateway.Bill.Entries); // the refused requests never reached the provider
    }

    [Fact]
    public async Task Redis_down_with_fail_open_keeps_serving_on_local_counters_and_goes_back_to_redis_when_it_is_back()
    {
        await using var gateway = await Replica(RedisFailureModes.FailOpen, 5m);
        using var client = gateway.Client(gateway.CreateKey("p1", "core"));
        using (var warm = await client.SendAsync(BudgetRequests.Chat())) Assert.Equal(HttpStatusCode.OK, warm.StatusCode);
        var book = gateway.Engine().Book;
        Assert.False(book.UsingLocalCounters);
        _redis.Stop();
        try
        {
            for (var i = 0; i < 3; i++)
            {
                using var response = await client.SendAsync(BudgetRequests.Chat());
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            }
            Assert.True(book.UsingLocalCounters);
            Assert.Contains(gateway.Logs.Lines, l => l.Contains("fail-open", StringComparison.Ordinal));
        }
        finally
        {
            _redis.Start();
        }
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (book.UsingLocalCounters && DateTime.UtcNow < deadline) await Task.Delay(100);
        Assert.False(book.UsingLocalCounters);
        using (var after = await client.SendAsync(BudgetRequests.Chat())) Assert.Equal(HttpStatusCode.OK, after.StatusCode);
        // The restarted Redis (no persistence) was seeded again from the ledger: every earlier request's cost is in it.
        var rows = await gateway.LedgerAsync(5);
        Assert.Equal(5, rows.Count);
        var team = Assert.Single(await gateway.SettledSnapshotsAsync());
        Assert.True(NanoUsd.FromUsd(team.Spent) >= rows.Take(4).Sum(r => r.CostNanos), $"{team.Spent} USD in Redis");
    }

    [Fact]
    public async Task Fail_open_still_enforces_the_hard_limit_with_local_counters()
    {
        await using var gateway = await Replica(RedisFailureModes.FailOpen, 0.0004m);
        using var client = gateway.Client(gateway.CreateKey("p1", "core"));
        _redis.Stop();
        try
        {
            var statuses = new List<HttpStatusCode>();
            for (var i = 0; i < 20; i++)
            {
                using var response = await client.SendAsync(BudgetRequests.Chat(maxTokens: 200));
                statuses.Add(response.StatusCode);
            }
            Assert.Contains(HttpStatusCode.OK, statuses);
            Assert.Contains(HttpStatusCode.PaymentRequired, statuses);
        }
        finally
        {
            _redis.Start();
        }
        var rows = await gateway.LedgerAsync(20);
        Assert.True(rows.Sum(r => r.CostNanos) <= NanoUsd.FromUsd(0.0004m));
    }
}
