using System.Globalization;
using System.Net;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using TokenOps.Core.Ledger;
using TokenOps.Core.Savings;
using TokenOps.Gateway.Configuration;
using TokenOps.Gateway.Tests.Budgets;
using TokenOps.Gateway.Tests.Dashboard;
using TokenOps.Gateway.Tests.Infrastructure;
using TokenOps.Storage.Sqlite;

namespace TokenOps.Gateway.Tests.Savings;

/// <summary>`tokenops savings --by … --period … --format …`: one row per lever, groups, an estimate labelled as one, totals equal to `tokenops ledger`'s sums.</summary>
public sealed class SavingsCliTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "tokenops-savings", Guid.NewGuid().ToString("N"));

    private static bool Applied(LedgerEntry e, string lever) => e.Levers is { } l && l.Split(',').Contains(lever);

    private static long L(JsonElement e, string name) => e.GetProperty(name).GetInt64();

    [Fact]
    public async Task Savings_ByLever_EveryLeverOnce_TotalsReconcileWithTheLedgerCommand()
    {
        var rows = DashboardData.Build(DateTimeOffset.UtcNow);
        new SqliteLedgerStore(new SqliteDatabase(_dir)).Write(rows);
        SqliteConnection.ClearAllPools();
        Assert.Contains(rows, r => r.Savings.Routed > 0);
        Assert.Contains(rows, r => r.Savings.Degraded > 0);
        Assert.Contains(rows, r => r.Savings.CacheBreakpoint > 0);

        var (exit, stdout, stderr) = await CliProcess.RunAsync("savings", "--by", "lever", "--period", "7d", "--format", "json", "--data", _dir);
        Assert.True(exit == 0, stderr);
        var json = JsonDocument.Parse(stdout).RootElement;
        Assert.Contains("estimate", json.GetProperty("note").GetString(), StringComparison.Ordinal);
        var levers = json.GetProperty("rows").EnumerateArray().ToList();
        Assert.Equal(SavingsLevers.All, levers.Select(l => l.GetProperty("key").GetString()));
        foreach (var lever in levers)
        {
            var name = lever.GetProperty("key").GetString()!;
            Assert.Equal(rows.Count(r => Applied(r, name)), L(lever, "requests"));
            Assert.Equal(rows.Sum(r => r.Savings.NanosOf(name)), L(lever, "saved_nanos"));
        }
        // Levers nothing applied to are listed at zero.
        Assert.Equal(0, L(levers.Single(l => l.GetProperty("key").GetString() == SavingsLevers.Batch), "requests"));

        // The totals are `tokenops ledger`'s sums, to the nano-dollar.
        (exit, stdout, stderr) = await CliProcess.RunAsync("ledger", "--format", "json", "--data", _dir);
        Assert.True(exit == 0, stderr);
        var ledger = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(rows.Count, ledger.Count);
        var totals = json.GetProperty("totals");
        Assert.Equal(ledger.Count, L(totals, "requests"));
        Assert.Equal(ledger.Sum(l => L(l, "cost_nanos")), L(totals, "cost_nanos"));
        Assert.Equal(ledger.Sum(l => L(l, "as_asked_nanos_estimate")), L(totals, "as_asked_nanos_estimate"));
        var savedColumns = SavingsLevers.All.Select(l => "saved_" + l.Replace('-', '_') + "_nanos").ToList();
        foreach (var column in savedColumns) Assert.Equal(ledger.Sum(l => L(l, column)), L(totals, column));
        var ledgerSaved = ledger.Sum(l => savedColumns.Sum(c => L(l, c)));
        Assert.True(ledgerSaved > 0);
        Assert.Equal(ledgerSaved, L(totals, "saved_nanos"));
        Assert.Equal(ledgerSaved, levers.Sum(l => L(l, "saved_nanos")));
        Assert.Equal(ledgerSaved, L(totals, "as_asked_nanos_estimate") - L(totals, "cost_nanos"));
        Assert.Equal(ledger.Count(l => l.GetProperty("savings_levers").ValueKind == JsonValueKind.String), L(totals, "requests_with_lever"));
        // Moved: routed or degraded to a cheaper model (the degraded one and every routed one here).
        Assert.Equal(rows.Count(r => r.Savings.Routed + r.Savings.Degraded > 0), L(totals, "requests_moved"));

        // The table: a line per lever, the as-asked figure called an estimate, a totals line.
        (exit, stdout, stderr) = await CliProcess.RunAsync("savings", "--period", "7d", "--data", _dir);
        Assert.True(exit == 0, stderr);
        var lines = stdout.Split('\n');
        foreach (var lever in SavingsLevers.All) Assert.Single(lines, l => l.StartsWith(lever + " ", StringComparison.Ordinal));
        Assert.Contains("SAVED USD (EST.)", stdout, StringComparison.Ordinal);
        var total = Assert.Single(lines, l => l.StartsWith("Total: ", StringComparison.Ordinal));
        Assert.StartsWith($"Total: {rows.Count} requests, {L(totals, "requests_with_lever")} with a lever, {L(totals, "requests_moved")} moved to a cheaper model", total, StringComparison.Ordinal);
        Assert.Contains("as asked " + (L(totals, "as_asked_nanos_estimate") / 1e9m).ToString("0.000000", CultureInfo.InvariantCulture) + " USD (estimate)", total, StringComparison.Ordinal);
        Assert.Contains(lines, l => l.StartsWith("As asked is an estimate", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Savings_ByTeamCsv_ByPersonFiltered_AndBadOptions()
    {
        var rows = DashboardData.Build(DateTimeOffset.UtcNow);
        new SqliteLedgerStore(new SqliteDatabase(_dir)).Write(rows);
        SqliteConnection.ClearAllPools();

        var (exit, stdout, stderr) = await CliProcess.RunAsync("savings", "--by", "team", "--period", "7d", "--format", "csv", "--data", _dir);
        Assert.True(exit == 0, stderr);
        var lines = stdout.Trim().Split('\n');
        Assert.Equal("team,requests,requests_with_lever,requests_moved,cost_usd,cost_nanos,as_asked_usd_estimate,as_asked_nanos_estimate,saved_usd,saved_nanos," +
            "saved_routed_nanos,saved_degraded_nanos,saved_capped_nanos,saved_cache_breakpoint_nanos,saved_cache_hit_nanos,saved_batch_nanos", lines[0]);
        Assert.Equal(2, lines.Length - 1);
        foreach (var f in lines.Skip(1).Select(l => l.Split(',')))
        {
            var mine = rows.Where(r => r.Team == f[0]).ToList();
            Assert.Equal(mine.Count.ToString(CultureInfo.InvariantCulture), f[1]);
            Assert.Equal(mine.Sum(r => r.CostNanos).ToString(CultureInfo.InvariantCulture), f[5]);
            Assert.Equal(mine.Sum(r => r.AsAskedNanos).ToString(CultureInfo.InvariantCulture), f[7]);
            Assert.Equal(mine.Sum(r => r.Savings.NanosOf(SavingsLevers.Routed)).ToString(CultureInfo.InvariantCulture), f[10]);
        }

        (exit, stdout, stderr) = await CliProcess.RunAsync("savings", "--by", "person", "--team", DashboardData.Payments, "--period", "7d", "--format", "json", "--data", _dir);
        Assert.True(exit == 0, stderr);
        var json = JsonDocument.Parse(stdout).RootElement;
        var people = json.GetProperty("rows").EnumerateArray().ToDictionary(r => r.GetProperty("key").GetString()!, r => L(r, "saved_nanos"));
        var expected = rows.Where(r => r.Team == DashboardData.Payments).GroupBy(r => r.Person!).ToDictionary(g => g.Key, g => g.Sum(r => r.Savings.TotalNanos));
        Assert.Equal(expected.OrderBy(p => p.Key, StringComparer.Ordinal), people.OrderBy(p => p.Key, StringComparer.Ordinal));

        // A table by model: the model that served, with its as-asked estimate column.
        (exit, stdout, _) = await CliProcess.RunAsync("savings", "--by", "model", "--period", "7d", "--data", _dir);
        Assert.Equal(0, exit);
        Assert.Contains("AS ASKED USD (EST.)", stdout, StringComparison.Ordinal);
        Assert.Contains("gpt-4o-mini ", stdout, StringComparison.Ordinal);

        foreach (var bad in new[] { new[] { "savings", "--by", "flavour" }, ["savings", "--period", "fortnight", "--data", _dir], ["savings", "--format", "xml"] })
        {
            var (code, _, err) = await CliProcess.RunAsync(bad);
            Assert.Equal(2, code);
            Assert.Single(err.Trim().Split('\n'));
            Assert.StartsWith("tokenops: ", err, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Savings_OfADegradeDrivenThroughTheGateway_EqualItsLedgerRow()
    {
        await using var gateway = await GatewayFixture.StartAsync(o => o.Budgets.Tiers["junior"] = new TierOptions
        {
            People = ["gus"],
            Stipend = new BudgetOptions { LimitUsd = 0.000001m, Period = "daily", Mode = "soft", SoftAction = "degrade" },
            DegradeModels = { ["openai"] = "gpt-4o-mini", ["anthropic"] = "claude-haiku-4-5" },
        });
        using var http = gateway.Client(gateway.CreateKey("gus", "core"));
        for (var i = 0; i < 2; i++)
        {
            using var response = await http.SendAsync(BudgetRequests.Chat(model: "gpt-4o"));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
        var rows = await gateway.LedgerAsync(2);
        Assert.All(rows, r => Assert.Equal("degraded", r.Levers));

        var (exit, stdout, stderr) = await CliProcess.RunAsync("savings", "--by", "person", "--period", "24h", "--format", "json", "--data", gateway.DataDirectory);
        Assert.True(exit == 0, stderr);
        var gus = Assert.Single(JsonDocument.Parse(stdout).RootElement.GetProperty("rows").EnumerateArray());
        Assert.Equal("gus", gus.GetProperty("key").GetString());
        Assert.Equal((2L, 2L, 2L), (L(gus, "requests"), L(gus, "requests_with_lever"), L(gus, "requests_moved")));
        Assert.Equal(rows.Sum(r => r.Savings.NanosOf(SavingsLevers.Degraded)), L(gus, "saved_degraded_nanos"));
        Assert.True(L(gus, "saved_degraded_nanos") > 0);
        Assert.Equal(rows.Sum(r => r.CostNanos), L(gus, "cost_nanos"));
        Assert.Equal(rows.Sum(r => r.AsAskedNanos), L(gus, "as_asked_nanos_estimate"));
    }

    public void Dispose()
    {
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }
}
