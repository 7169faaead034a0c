using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using TokenOps.Gateway.Budgets;
using TokenOps.Gateway.Configuration;
using TokenOps.Gateway.Tests.Infrastructure;
using TokenOps.Simulator;
using TokenOps.Storage;

namespace TokenOps.Gateway.Tests.Batches;

/// <summary>
/// A batch admitted before a restart (SQLite, in-process budget counters): the restarted gateway holds its worst case
/// again, so the team cannot spend that money twice, and settling the batch books its actual cost in the live counters.
/// </summary>
public sealed class BatchRestartTests
{
    [Fact]
    public async Task A_restart_keeps_a_running_batchs_hold_and_its_settlement_reaches_the_live_budget()
    {
        // The fixture provides the simulator (batches take 2 s); the gateways under test run on a data directory of their own.
        await using var fixture = await GatewayFixture.StartAsync(null, new SimulatorOptions { BatchProcessingTime = TimeSpan.FromSeconds(2) });
        var gateways = new RestartableGateway(fixture, Options, "batch-restart");

        var first = await gateways.StartAsync();
        var key = first.Services.GetRequiredService<IKeyStore>().Create("ada", "core").Secret;
        string batchId;
        long held;
        using (var http = new HttpClient { BaseAddress = first.BaseUrl })
        {
            http.DefaultRequestHeaders.Authorization = new("Bearer", key);
            var jsonl = string.Join("\n", Enumerable.Range(0, 3).Select(n =>
                $$$"""{"custom_id":"c{{{n}}}","method":"POST","url":"/v1/chat/completions","body":{"model":"gpt-4o-mini","max_tokens":500,"messages":[{"role":"user","content":"line {{{n}}}"}]}}"""));
            var form = new MultipartFormDataContent { { new StringContent("batch"), "purpose" }, { new ByteArrayContent(Encoding.UTF8.GetBytes(jsonl)), "file", "in.jsonl" } };
            using var upload = await http.PostAsync("/v1/files", form);
            var fileId = JsonDocument.Parse(await upload.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString();
            using var create = await http.PostAsync("/v1/batches", new StringContent(
                $$$"""{"input_file_id":"{{{fileId}}}","endpoint":"/v1/chat/completions","completion_window":"24h"}""", Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.OK, create.StatusCode);
            batchId = JsonDocument.Parse(await create.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!;
        }
        held = Team(first).Reserved.ToNanos();
        Assert.True(held > 0, "the batch's worst case is held");
        await first.DisposeAsync();

        // Restarted before the batch ended: the hold is back in the counters rebuilt from the ledger.
        await using var second = await gateways.StartAsync();
        Assert.Equal(held, Team(second).Reserved.ToNanos());
        Assert.Equal(0m, Team(second).Spent);

        // The poller settles the batch: its rows are in the ledger, the hold is freed and the spend is the rows' cost.
        var store = second.Services.GetRequiredService<IBatchStore>();
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (store.Find(batchId)?.SettledAt is null && DateTime.UtcNow < deadline) await Task.Delay(100);
        Assert.NotNull(store.Find(batchId)?.SettledAt);
        await Task.Delay(600); // one more poll frees this process's hold
        await second.FlushLedgerAsync();
        var rows = second.Services.GetRequiredService<Core.Ledger.ILedgerStore>().Read().Where(r => r.BatchId == batchId).ToList();
        Assert.Equal(3, rows.Count);
        var team = Team(second);
        Assert.Equal(0m, team.Reserved);
        Assert.Equal(rows.Sum(r => r.CostNanos), team.Spent.ToNanos());
    }

    private static GatewayOptions Options(string data)
    {
        var options = new GatewayOptions { DataDirectory = data, AdminTokenEnv = GatewayFixture.AdminTokenVariable };
        options.Batches.PollSeconds = 0.2;
        options.Budgets.Teams["core"] = new BudgetOptions { LimitUsd = 5m, Period = "monthly", Mode = "hard" };
        return options;
    }

    private static Core.Budgets.BudgetSnapshot Team(GatewayApp app) => RestartableGateway.Team(app, "core");
}

internal static class UsdNanos
{
    public static long ToNanos(this decimal usd) => Core.Pricing.NanoUsd.FromUsd(usd);
}
