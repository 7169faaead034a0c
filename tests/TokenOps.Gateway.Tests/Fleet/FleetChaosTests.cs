using System.Net;
using TokenOps.TestServers;

namespace TokenOps.Gateway.Tests.Fleet;

/// <summary>
/// Three replicas on one PostgreSQL under load while things break: PostgreSQL restarted mid-load, one replica killed
/// with SIGKILL (its unwritten rows only in its local journal) and started again. At the end the shared ledger equals the
/// simulator's bill to the nano-dollar, with every event id once.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class FleetChaosTests(PostgresServer server)
{
    [Fact]
    public async Task Ledger_equals_the_bill_after_a_PostgreSQL_restart_and_a_replica_killed_mid_load()
    {
        var cs = server.Database(nameof(FleetChaosTests));
        // A 1.5 s group-commit window: when replica 1 is killed, the rows of its last requests are certainly not in
        // PostgreSQL yet, only in its journal.
        await using var fleet = await Fleet.StartAsync(3, cs, extra: "\"ledgerBatchWindowMs\": 1500,");
        var keys = new[] { await fleet.CreateKeyAsync("ada", "payments"), await fleet.CreateKeyAsync("bo", "payments") };
        var answered = 0;
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
                else lock (failures) failures.Add($"{(int)response.StatusCode} {body}");
            });
        }

        await Load(150);
        server.Stop();
        try { await Load(90); } // PostgreSQL down: keys are cached, rows wait in each replica's journal
        finally { server.Start(); }
        await Load(60);

        // Replica 1 taken out of the rotation (its in-flight requests finish), then SIGKILL before its batch window
        // closes: the last rows it took are only in its journal until it starts again and replays it.
        await fleet.LedgerAsync(answered);
        await Load(60);
        fleet.Kill(1);
        var afterKill = fleet.Ledger().Rows;
        await Load(60, avoid: 1);
        await fleet.StartReplicaAsync(1);
        await Load(30);

        Assert.Empty(failures);
        Assert.True(afterKill < 300 + 60, $"the killed replica's last rows should have been only in its journal ({afterKill} rows in PostgreSQL)");
        var ledger = await fleet.LedgerAsync(answered, TimeSpan.FromSeconds(60));
        Assert.Equal(answered, ledger.Rows);
        Assert.Equal(ledger.Rows, ledger.Distinct);
        Assert.Equal(fleet.BilledNanos(), ledger.CostNanos);
        Assert.True(ledger.CostNanos > 0);
    }
}
