using System.Text.Json;
using Microsoft.Data.Sqlite;
using TokenOps.Core.Ledger;
using TokenOps.Core.Pricing;
using TokenOps.Gateway.Tests.Infrastructure;
using TokenOps.Storage.Sqlite;

namespace TokenOps.Gateway.Tests.Planning;

/// <summary>`tokenops forecast --growth` and `--backtest` on a real SQLite ledger.</summary>
public sealed class ForecastCliTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "tokenops-forecast", Guid.NewGuid().ToString("N"));

    private static LedgerEntry Row(string id, DateTimeOffset at, string team, string model, decimal usd) => new()
    {
        Id = id, StartedAt = at, EndedAt = at.AddSeconds(1), Route = "openai.chat", Person = team + "-dev", Team = team,
        RequestedModel = model, ServedModel = model, CostNanos = NanoUsd.FromUsd(usd), Status = 200, Outcome = LedgerOutcome.Ok,
    };

    [Fact]
    public async Task Growth_ProjectsTheLast30DaysSpend_PerTeamAndModel()
    {
        // $1 a day of gpt-4o (frontier) for core and $0.10 a day of gpt-4o-mini (small) for web, over the last 40 days.
        var today = new DateTimeOffset(DateTime.UtcNow.Date, TimeSpan.Zero);
        var rows = Enumerable.Range(1, 40).SelectMany(d => new[]
        {
            Row($"c{d}", today.AddDays(-d).AddHours(10), "core", "gpt-4o", 1m),
            Row($"w{d}", today.AddDays(-d).AddHours(11), "web", "gpt-4o-mini", 0.1m),
        }).ToList();
        new SqliteLedgerStore(new SqliteDatabase(_dir)).Write(rows);
        SqliteConnection.ClearAllPools();

        var (exit, stdout, stderr) = await CliProcess.RunAsync("forecast", "--growth", "10x", "--horizon", "12m", "--price-decline", "10x/yr", "--data", _dir, "--format", "json");
        Assert.True(exit == 0, stderr);
        var json = JsonDocument.Parse(stdout).RootElement;
        var month = 365.25m / 12m;
        Assert.Equal(Math.Round(1.1m * month, 6), Math.Round(json.GetProperty("baseline_monthly_usd").GetDecimal(), 6));
        var lines = json.GetProperty("lines").EnumerateArray().ToDictionary(l => l.GetProperty("model").GetString()!);
        Assert.Equal("frontier", lines["gpt-4o"].GetProperty("tier").GetString());
        Assert.Equal("small", lines["gpt-4o-mini"].GetProperty("tier").GetString());
        // Month 12: ten times the volume; gpt-4o's price held, gpt-4o-mini's a tenth.
        Assert.Equal(Math.Round(10m * month, 4), Math.Round(lines["gpt-4o"].GetProperty("monthly_usd")[11].GetDecimal(), 4));
        Assert.Equal(Math.Round(0.1m * month, 4), Math.Round(lines["gpt-4o-mini"].GetProperty("monthly_usd")[11].GetDecimal(), 4));
        var scenarios = json.GetProperty("scenarios").EnumerateArray().ToList();
        Assert.Equal([1m, 10m, 100m], scenarios.Select(s => s.GetProperty("growth").GetDecimal()));
        Assert.Equal(Math.Round(100m * month + 1m * month, 3), Math.Round(scenarios[2].GetProperty("final_month_usd").GetDecimal(), 3));

        // A tier can be overridden, and its decline configured.
        (exit, stdout, stderr) = await CliProcess.RunAsync("forecast", "--growth", "1x", "--price-decline", "10x/yr", "--model-tier", "gpt-4o=mid", "--tier-decline", "small=1x/yr", "--data", _dir, "--format", "json");
        Assert.True(exit == 0, stderr);
        lines = JsonDocument.Parse(stdout).RootElement.GetProperty("lines").EnumerateArray().ToDictionary(l => l.GetProperty("model").GetString()!);
        Assert.Equal(Math.Round(0.1m * month, 4), Math.Round(lines["gpt-4o"].GetProperty("monthly_usd")[11].GetDecimal(), 4));
        Assert.Equal(Math.Round(0.1m * month, 4), Math.Round(lines["gpt-4o-mini"].GetProperty("monthly_usd")[11].GetDecimal(), 4));

        (exit, stdout, _) = await CliProcess.RunAsync("forecast", "--growth", "10x", "--data", _dir);
        Assert.Equal(0, exit);
        Assert.Contains("At 100x volume:", stdout, StringComparison.Ordinal);
        (exit, _, stderr) = await CliProcess.RunAsync("forecast", "--growth", "10x", "--price-decline", "fast", "--data", _dir);
        Assert.Equal(2, exit);
        Assert.Contains("--price-decline", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Backtest_JudgesWholeMonths_AgainstTheRunRate()
    {
        // Weekdays only, $2 each, August to October 2026: the seasonal forecast is close, the run-rate less so.
        var rows = new List<LedgerEntry>();
        for (var day = new DateTimeOffset(2026, 8, 1, 0, 0, 0, TimeSpan.Zero); day < new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero); day = day.AddDays(1))
            if (day.DayOfWeek is not (DayOfWeek.Saturday or DayOfWeek.Sunday)) rows.Add(Row("b" + day.ToString("MMdd"), day.AddHours(12), "core", "gpt-4o", 2m));
        new SqliteLedgerStore(new SqliteDatabase(_dir)).Write(rows);
        SqliteConnection.ClearAllPools();
        var (exit, stdout, stderr) = await CliProcess.RunAsync("forecast", "--backtest", "--data", _dir, "--format", "json");
        Assert.True(exit == 0, stderr);
        var json = JsonDocument.Parse(stdout).RootElement;
        // September and October. August's first spend is on Monday the 3rd: its 1st and 2nd are before the ledger's
        // first day, so August is not known to be whole and is not judged; November spent nothing.
        Assert.Equal(2, json.GetProperty("months").GetInt32());
        var points = json.GetProperty("points").EnumerateArray().ToList();
        Assert.DoesNotContain(points, p => p.GetProperty("month").GetString() == "2026-08");
        Assert.All(points.Where(p => p.GetProperty("month").GetString() == "2026-11"), p => Assert.Equal(JsonValueKind.Null, p.GetProperty("forecast_error").ValueKind));
        var october10 = points.Single(p => p.GetProperty("month").GetString() == "2026-10" && p.GetProperty("day").GetInt32() == 10);
        Assert.Equal(rows.Where(r => r.StartedAt.Month == 10).Sum(r => 2m), october10.GetProperty("actual_usd").GetDecimal());
        var day10 = json.GetProperty("mape").EnumerateArray().Single(m => m.GetProperty("day").GetInt32() == 10);
        Assert.True(day10.GetProperty("forecast").GetDecimal() < day10.GetProperty("run_rate").GetDecimal());
        Assert.True(day10.GetProperty("forecast").GetDecimal() <= 0.10m);
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}
