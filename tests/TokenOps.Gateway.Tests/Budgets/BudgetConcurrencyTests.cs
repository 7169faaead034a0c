using System.Net;
using TokenOps.Core.Ledger;
using TokenOps.Core.Pricing;
using TokenOps.Gateway.Configuration;
using TokenOps.Gateway.Tests.Infrastructure;
using TokenOps.Simulator;

namespace TokenOps.Gateway.Tests.Budgets;

/// <summary>Proof under concurrency: no overshoot, and nothing left reserved after every kind of failure.</summary>
public sealed class BudgetConcurrencyTests
{
    [Theory]
    [InlineData(0.0)]
    [InlineData(0.3)] // provider errors, streams broken mid-way and responses without usage (estimated, capped at max_tokens)
    public async Task TwoHundredFortySimultaneousRequests_NeverExceedASmallHardBudget(double faultRate)
    {
        const decimal limit = 0.002m;
        var simulator = new SimulatorOptions { FaultRate = faultRate, Seed = 5, RandomFaults = ["error:500", "midstream", "nousage"] };
        await using var gateway = await GatewayFixture.StartAsync(o => o.Budgets.Teams["core"] = new BudgetOptions { LimitUsd = limit, Period = "daily" }, simulator);
        var clients = Enumerable.Range(0, 8).Select(i => gateway.Client(gateway.CreateKey($"p{i % 4}", "core"))).ToArray();
        using var start = new SemaphoreSlim(0);
        var random = new Random(7);
        var maxTokens = Enumerable.Range(0, 240).Select(_ => random.Next(16, 400)).ToArray();

        var tasks = Enumerable.Range(0, 240).Select(async i =>
        {
            await start.WaitAsync();
            try
            {
                using var response = await clients[i % clients.Length].SendAsync(BudgetRequests.Chat(maxTokens: maxTokens[i], stream: i % 3 == 0));
                await response.Content.ReadAsStringAsync();
                return response.StatusCode;
            }
            catch (Exception ex) when (faultRate > 0 && ex is HttpRequestException or IOException)
            {
                return HttpStatusCode.BadGateway; // a stream the gateway broke because the provider did
            }
        }).ToArray();
        start.Release(tasks.Length);
        var statuses = await Task.WhenAll(tasks).WaitAsync(TimeSpan.FromSeconds(120));

        var rows = await gateway.LedgerAsync(240);
        Assert.Equal(240, rows.Count);
        Assert.Contains(HttpStatusCode.OK, statuses);
        Assert.Contains(HttpStatusCode.PaymentRequired, statuses);
        Assert.All(statuses, s => Assert.True(s is HttpStatusCode.OK or HttpStatusCode.PaymentRequired || faultRate > 0, s.ToString()));
        var spent = rows.Sum(r => r.CostNanos);
        Assert.True(spent <= NanoUsd.FromUsd(limit), $"ledger {spent} nanos > budget {NanoUsd.FromUsd(limit)}");
        if (faultRate == 0) Assert.Equal(gateway.BilledNanos(gateway.Bill.Entries), spent);
        else Assert.Contains(rows, r => r.Estimated);
        var team = Assert.Single(await gateway.SettledSnapshotsAsync());
        Assert.Equal((spent, 0m), (NanoUsd.FromUsd(team.Spent), team.Reserved));
        foreach (var c in clients) c.Dispose();
    }

    [Fact]
    public async Task AfterProviderErrors_MidStreamFailures_ClientAbortsAndTimeouts_NothingStaysReserved_CountersEqualTheLedger()
    {
        var simulator = new SimulatorOptions { FaultRate = 0.4, Seed = 11, RandomFaults = ["error:500", "error:429", "midstream", "nousage", "hang"] };
        await using var gateway = await GatewayFixture.StartAsync(o =>
        {
            o.Budgets.Organisation = new BudgetOptions { LimitUsd = 5m, Period = "monthly" };
            o.Budgets.Teams["core"] = new BudgetOptions { LimitUsd = 2m, Period = "weekly" };
            o.Budgets.People["p1"] = new BudgetOptions { LimitUsd = 1m, Period = "daily", Mode = "soft" };
            o.Budgets.Projects["alpha"] = new BudgetOptions { LimitUsd = 1m, Period = "rolling:3" };
        }, simulator, upstreamTimeout: TimeSpan.FromSeconds(1));
        var clients = Enumerable.Range(0, 4).Select(i => gateway.Client(gateway.CreateKey($"p{i}", i < 3 ? "core" : "ops"))).ToArray();
        var random = new Random(3);
        // Random faults and aborts, plus a few forced ones so that every exit path is certainly taken: a hang the client
        // abandons (client abort), a hang nobody abandons (upstream timeout), a broken stream, a response without usage.
        string?[] forced = ["hang", "hang", "hang", "hang", "midstream", "midstream", "nousage", "nousage"];
        var plan = Enumerable.Range(0, 120).Select(i => (
            Stream: i < forced.Length ? i % 2 == 0 : random.Next(2) == 0,
            AbortAfterMs: i < 2 ? 300 : i < forced.Length ? 0 : random.Next(5) == 0 ? random.Next(10, 400) : 0,
            Fault: i < forced.Length ? forced[i] : null)).ToArray();
        using var gate = new SemaphoreSlim(30);

        var tasks = plan.Select(async (p, i) =>
        {
            await gate.WaitAsync();
            try
            {
                using var abort = p.AbortAfterMs > 0 ? new CancellationTokenSource(p.AbortAfterMs) : new CancellationTokenSource(TimeSpan.FromSeconds(20));
                using var response = await clients[i % clients.Length].SendAsync(
                    BudgetRequests.Chat(maxTokens: 300, stream: p.Stream, project: i % 2 == 0 ? "alpha" : null, fault: p.Fault), HttpCompletionOption.ResponseHeadersRead, abort.Token);
                await response.Content.ReadAsStringAsync(abort.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or HttpRequestException or IOException)
            {
                // Aborted by us, or a stream the gateway broke on purpose: both still leave a row.
            }
            finally
            {
                gate.Release();
            }
        }).ToArray();
        await Task.WhenAll(tasks).WaitAsync(TimeSpan.FromSeconds(120));

        var snapshots = await gateway.SettledSnapshotsAsync();
        var rows = await gateway.StableLedgerAsync();
        // A client that gives up within milliseconds may never have reached the gateway; every request that did has a row.
        Assert.InRange(rows.Count, plan.Count(p => p.AbortAfterMs == 0), 120);
        Assert.Contains(rows, r => r.Outcome == LedgerOutcome.ClientAborted);
        Assert.Contains(rows, r => r.Outcome == LedgerOutcome.UpstreamTimeout);
        Assert.Contains(rows, r => r.Outcome == LedgerOutcome.ProviderError);
        Assert.Contains(rows, r => r.Estimated);
        Assert.Equal(0, gateway.Engine().Book.OpenReservations);
        snapshots = gateway.Engine().Current();
        Assert.Equal(["org", "person:p1", "project:alpha", "team:core"], snapshots.Select(s => s.BudgetId).Order(StringComparer.Ordinal));
        foreach (var s in snapshots)
        {
            Assert.Equal(0m, s.Reserved);
            Assert.Equal(BudgetRequests.LedgerNanos(rows, s), NanoUsd.FromUsd(s.Spent));
        }
        Assert.True(snapshots.Single(s => s.BudgetId == "org").Spent > 0);
        foreach (var c in clients) c.Dispose();
    }
}
