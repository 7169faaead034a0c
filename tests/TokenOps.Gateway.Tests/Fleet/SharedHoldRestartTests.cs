using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using TokenOps.Gateway.Batches;
using TokenOps.Gateway.Budgets;
using TokenOps.Gateway.Configuration;
using TokenOps.Gateway.Tests.Infrastructure;
using TokenOps.Storage;
using TokenOps.TestServers;

namespace TokenOps.Gateway.Tests.Fleet;

/// <summary>
/// A background response admitted by a process that is gone, with budget counters in Redis: its hold is still in Redis,
/// and the process that settles the response (here, the restarted gateway) frees that hold by its id and books the
/// actual cost once, instead of leaving the worst case held for the hold's 25-hour TTL on top of the spend.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class SharedHoldRestartTests
{
    private const string RedisVariable = "TOKENOPS_TEST_REDIS_HOLDS";

    public SharedHoldRestartTests(RedisServer redis)
    {
        redis.Start();
        redis.Wipe();
        Environment.SetEnvironmentVariable(RedisVariable, redis.ConnectionString);
    }

    [Fact]
    public async Task A_restarted_replica_frees_the_redis_hold_of_a_background_response_it_settles()
    {
        await using var fixture = await GatewayFixture.StartAsync();
        var gateways = new RestartableGateway(fixture, Options, "shared-holds");

        var first = await gateways.StartAsync();
        var key = first.Services.GetRequiredService<IKeyStore>().Create("ada", "core").Secret;
        string id;
        using (var http = new HttpClient { BaseAddress = first.BaseUrl })
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/responses")
            {
                Content = new StringContent("""{"model":"gpt-4o-mini","input":"Summarise the quarter.","background":true,"max_output_tokens":400}""", Encoding.UTF8, "application/json"),
            };
            request.Headers.Authorization = new("Bearer", key);
            request.Headers.Add("x-sim-latency-ms", "2500");
            using var response = await http.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            id = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!;
        }
        var held = Team(first).Reserved;
        Assert.True(held > 0m, "the response's worst case is held in Redis");
        Assert.NotNull(first.Services.GetRequiredService<IBatchStore>().Find(id)!.HoldId);
        await first.DisposeAsync(); // gone before the response ends, its hold still in Redis

        await using var second = await gateways.StartAsync();
        Assert.Equal(held, Team(second).Reserved);
        var store = second.Services.GetRequiredService<IBatchStore>();
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (store.Find(id)?.SettledAt is null && DateTime.UtcNow < deadline) await Task.Delay(100);
        Assert.NotNull(store.Find(id)?.SettledAt);
        await second.FlushLedgerAsync();
        var row = Assert.Single(second.Services.GetRequiredService<Core.Ledger.ILedgerStore>().Read(), r => r.ProviderRequestId == id);
        Assert.True(row.CostNanos > 0);
        // Redis's totals, read afresh: nothing held, and the spend is the row's cost, booked once.
        Core.Budgets.BudgetSnapshot team = Team(second);
        for (var i = 0; i < 50 && team.Reserved != 0m; i++)
        {
            await Task.Delay(100);
            team = Team(second);
        }
        Assert.Equal((0m, row.CostNanos), (team.Reserved, Core.Pricing.NanoUsd.FromUsd(team.Spent)));
    }

    private static GatewayOptions Options(string data)
    {
        var options = new GatewayOptions { DataDirectory = data, AdminTokenEnv = GatewayFixture.AdminTokenVariable };
        options.Batches.PollSeconds = 0.2;
        options.Budgets.Teams["core"] = new BudgetOptions { LimitUsd = 5m, Period = "monthly", Mode = "hard" };
        options.Redis = new RedisOptions { ConnectionStringEnv = RedisVariable, OnFailure = RedisFailureModes.FailClosed };
        return options;
    }

    private static Core.Budgets.BudgetSnapshot Team(GatewayApp app) => RestartableGateway.Team(app, "core");
}
