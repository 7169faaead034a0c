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

    [Fact]
    public async Task Report_shows_tool_call_audio_and_image_costs_as_their_own_buckets()
    {
        // Some rows carry web-search calls, audio seconds and images beside their tokens.
        var rows = DashboardData.Build(DateTimeOffset.UtcNow).Select((r, i) => (i % 3) switch
        {
            0 => r with { Cost = r.Cost with { ToolCalls = 0.01m } },
            1 when i % 2 == 0 => r with { Cost = r.Cost with { AudioSeconds = 0.006m, Characters = 0.000015m } },
            _ when i % 5 == 0 => r with { Cost = r.Cost with { Images = 0.04m } },
            _ => r,
        }).ToList();
        new SqliteLedgerStore(new SqliteDatabase(_dir)).Write(rows);
        SqliteConnection.ClearAllPools();

        var (exit, stdout, stderr) = await CliProcess.RunAsync("report", "--by", "team", "--period", "7d", "--format", "json", "--data", _dir);
        Assert.True(exit == 0, stderr);
        var json = JsonDocument.Parse(stdout).RootElement.GetProperty("rows").EnumerateArray().ToList();
        foreach (var row in json)
        {
            var mine = rows.Where(r => r.Team == row.GetProperty("key").GetString()).ToList();
            Assert.Equal(mine.Sum(r => r.Cost.ToolCalls), row.GetProperty("tool_call_usd").GetDecimal());
            Assert.Equal(mine.Sum(r => r.Cost.AudioSeconds + r.Cost.Characters), row.GetProperty("audio_usd").GetDecimal());
            Assert.Equal(mine.Sum(r => r.Cost.Images), row.GetProperty("image_usd").GetDecimal());
        }
        Assert.True(json.Sum(r => r.GetProperty("tool_call_usd").GetDecimal()) > 0);
        Assert.True(json.Sum(r => r.GetProperty("image_usd").GetDecimal()) > 0);

        (exit, stdout, stderr) = await CliProcess.RunAsync("report", "--by", "model", "--period", "7d", "--format", "csv", "--data", _dir);
        Assert.True(exit == 0, stderr);
        var lines = stdout.Trim().Split('\n');
        Assert.EndsWith(",tool_call_usd,audio_usd,image_usd", lines[0], StringComparison.Ordinal);
        var audio = lines.Skip(1).Sum(l => decimal.Parse(l.Split(',')[^2], System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(rows.Sum(r => r.Cost.AudioSeconds + r.Cost.Characters), audio);

        (exit, stdout, _) = await CliProcess.RunAsync("report", "--by", "team", "--period", "7d", "--data", _dir);
        Assert.Equal(0, exit);
        Assert.Contains($"of which tool calls {rows.Sum(r => r.Cost.ToolCalls):0.000000}", stdout, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }
}
