using System.Text.Json;
using Microsoft.Data.Sqlite;
using TokenOps.Gateway.Tests.Infrastructure;
using TokenOps.Storage.Sqlite;

namespace TokenOps.Gateway.Tests.Dashboard;

/// <summary>`tokenops report --by … --period … --format …` prints the rollups' figures, equal to the ledger's.</summary>
public sealed class ReportCliTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "tokenops-report", Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task Report_ByTeamJson_AndByModelCsv_EqualTheLedger()
    {
        var rows = DashboardData.Build(DateTimeOffset.UtcNow);
        new SqliteLedgerStore(new SqliteDatabase(_dir)).Write(rows);
        SqliteConnection.ClearAllPools();

        var (exit, stdout, stderr) = await CliProcess.RunAsync("report", "--by", "team", "--period", "7d", "--format", "json", "--data", _dir);
        Assert.True(exit == 0, stderr);
        var json = JsonDocument.Parse(stdout).RootElement;
        Assert.Equal(rows.Sum(r => r.CostNanos), json.GetProperty("total_cost_nanos").GetInt64());
        foreach (var row in json.GetProperty("rows").EnumerateArray())
            Assert.Equal(rows.Where(r => r.Team == row.GetProperty("key").GetString()).Sum(r => r.CostNanos), row.GetProperty("cost_nanos").GetInt64());

        (exit, stdout, stderr) = await CliProcess.RunAsync("report", "--by", "model", "--period", "7d", "--format", "csv", "--team", "payments", "--data", _dir);
        Assert.True(exit == 0, stderr);
        var lines = stdout.Trim().Split('\n');
        Assert.StartsWith("model,requests,", lines[0], StringComparison.Ordinal);
        var byModel = lines.Skip(1).Select(l => l.Split(',')).ToDictionary(f => f[0], f => long.Parse(f[8], System.Globalization.CultureInfo.InvariantCulture));
        var expected = rows.Where(r => r.Team == "payments").GroupBy(r => r.ServedModel!).ToDictionary(g => g.Key, g => g.Sum(r => r.CostNanos));
        Assert.Equal(expected.OrderBy(p => p.Key), byModel.OrderBy(p => p.Key));

        (exit, stdout, _) = await CliProcess.RunAsync("report", "--by", "person", "--period", "7d", "--data", _dir);
        Assert.Equal(0, exit);
        Assert.Contains("ada", stdout, StringComparison.Ordinal);
        Assert.Contains($"{rows.Count} requests", stdout, StringComparison.Ordinal);

        var (bad, _, err) = await CliProcess.RunAsync("report", "--period", "fortnight", "--data", _dir);
        Assert.Equal(2, bad);
        Assert.Contains("--period", err, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }
}
