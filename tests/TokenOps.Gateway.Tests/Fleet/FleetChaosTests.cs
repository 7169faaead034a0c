using System.Net;
using TokenOps.TestServers;

namespace TokenOps.Gateway.Tests.Fleet;

/// <summary>
/// Three replicas on one PostgreSQL under load while things break: PostgreSQL restarted mid-load, one replica killed
/// with SIGKILL (its unwritten rows only in its local journal) and started again. At the end the shared ledger equals the
/// simulator's bill to the nano-dollar, with every event id once.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class FleetChaosTests(PostgresServer server, RedisServer redis) : IClassFixture<RedisServer>
{
    [Fact]
    public async Task Ledger_equals_the_bill_after_a_Redis_restart_a_PostgreSQL_restart_and_a_replica_killed_mid_load()
    {
        var cs = server.Database(nameof(FleetChaosTests));
        // A 1.5 s group-commit window: when replica 1 is killed, the rows of its last requests are certainly not in
        // PostgreSQL yet, only in its journal.
        // Budgets every request falls under (never exhausted), so every admission goes through the shared Redis counters.
        await using var fleet = await Fleet.StartAsync(3, cs, redis.ConnectionString, extra: """
            "ledgerBatchWindowMs": 1500,
            "budgets": { "organisation": { "limitUsd": 1000, "period": "monthly" }, "teams": { "payments": { "limitUsd": 500, "period": "monthly" } } },
            """);
        var keys = new[] { await fleet.CreateKeyAsync("ada", "payments"), await fleet.CreateKeyAsync("bo", "payments") };
        var answered = 0;
        var refusedWhileRedisDown = 0;
        var redisDown = false;
        var pgDown = false;
        var refusedWhilePgDown = 0;
        var failures = new List<string>();

        async Task Load(int count, int? avoid = null)
        {
            await Parallel.ForAsync(0, count, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, ct) =>
            {
                var replica = i % 3;
                if (avoid == replica) replica = (replica + 1) % 3;
                using var http = fleet.Client(keys[i % 2], replica);
                using var response = await http.PostAsync("/v1/chat/completions", Fleet.ChatBody(stream: i % 3 == 0), ct);
                var body = await response.Content.ReadAsStringAsync(ct);
                if (response.StatusCode == HttpStatusCode.OK) Interlocked.Increment(ref answered);
                // fail-closed: while Redis is down, budgeted requests are refused (and recorded), never forwarded unmetered.
                else if (Volatile.Read(ref redisDown) && (int)response.StatusCode == 503 && body.Contains("budget_counters_unavailable")) Interlocked.Increment(ref refusedWhileRedisDown);
                // Redis came back empty and PostgreSQL is down: counters cannot be seeded again from the ledger, so
                // budgeted requests are refused (and recorded) until it is back.
                else if (Volatile.Read(ref pgDown) && (int)response.StatusCode == 503 && body.Contains("budget_state_unavailable")) Interlocked.Increment(ref refusedWhilePgDown);
                else lock (failures) failures.Add($"{(int)response.StatusCode} {body}");
            });
        }

        await Load(150);
        Volatile.Write(ref redisDown, true);
        redis.Stop();
        try { await Load(30); }
        finally { redis.Start(); }
        await Task.Delay(TimeSpan.FromSeconds(2)); // each replica's probe finds Redis again
        Volatile.Write(ref redisDown, false);
        Volatile.Write(ref pgDown, true);
        server.Stop();
        try { await Load(90); } // PostgreSQL down: keys are cached, rows wait in each replica's journal
        finally { server.Start(); }
        Volatile.Write(ref pgDown, false);
        await Load(60);

        // Replica 1 taken out of the rotation (its in-flight requests finish), then SIGKILL before its batch window
        // closes: the last rows it took are only in its journal until it starts again and replays it.
        var landed = answered + refusedWhileRedisDown + refusedWhilePgDown;
        await fleet.LedgerAsync(landed);
        await Load(60);
        fleet.Kill(1);
        var afterKill = fleet.Ledger().Rows;
        await Load(60, avoid: 1);
        await fleet.StartReplicaAsync(1);
        await Load(30);

        Assert.True(failures.Count == 0, string.Join("\n", failures.Take(3)));
        Assert.True(afterKill < landed + 60, $"the killed replica's last rows should have been only in its journal ({afterKill} rows in PostgreSQL)");
        Assert.True(refusedWhileRedisDown > 0, "Redis was stopped, yet no request was refused");
        var refused = refusedWhileRedisDown + refusedWhilePgDown;
        var ledger = await fleet.LedgerAsync(answered + refused, TimeSpan.FromSeconds(60));
        Assert.Equal(answered + refused, ledger.Rows); // refusals are rows too, at $0
        Assert.Equal(ledger.Rows, ledger.Distinct);
        Assert.Equal(fleet.BilledNanos(), ledger.CostNanos);
        Assert.True(ledger.CostNanos > 0);
    }
}
