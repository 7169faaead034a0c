using System.Text.Json;
using Microsoft.Data.Sqlite;
using TokenOps.Core.Ledger;
using TokenOps.Core.Metering;
using TokenOps.Core.Pricing;
using TokenOps.Core.Waste;
using TokenOps.Gateway.Tests.Infrastructure;
using TokenOps.Storage.Sqlite;

namespace TokenOps.Gateway.Tests.Waste;

/// <summary>`tokenops waste` and `tokenops keys create --kind automation --owner` as a user runs them.</summary>
public sealed class WasteCliTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "tokenops-waste-cli", Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task Waste_json_is_one_object_per_finding_and_csv_and_table_agree()
    {
        var at = DateTimeOffset.UtcNow.AddHours(-3);
        var rows = Enumerable.Range(0, 4).Select(i => new LedgerEntry
        {
            Id = $"evt_cli_{i}", StartedAt = at.AddMinutes(i), EndedAt = at.AddMinutes(i), Route = "openai.chat", Person = "bob", Team = "payments",
            ServedModel = "gpt-4o", Usage = new TokenUsage { UncachedInput = 1000, Output = 100 }, Cost = new CostBreakdown { UncachedInput = 0.0025m, Output = 0.001m },
            Status = 200, Outcome = LedgerOutcome.Ok, TurnSimHash = SimHash.Of("Make the flaky login test pass on CI without sleeping" + (i % 2 == 0 ? "" : " please")),
            MessageCount = 1, FinishReason = "stop", KeyKind = "person",
        }).ToList();
        new SqliteLedgerStore(new SqliteDatabase(_dir)).Write(rows);
        SqliteConnection.ClearAllPools();

        var (exit, stdout, stderr) = await CliProcess.RunAsync("waste", "--period", "7d", "--format", "json", "--data", _dir);
        Assert.True(exit == 0, stderr);
        var finding = Assert.Single(JsonDocument.Parse(stdout).RootElement.EnumerateArray());
        Assert.Equal(WasteDetectors.RetryByVibes, finding.GetProperty("detector").GetString());
        Assert.Equal(("bob", "payments"), (finding.GetProperty("person").GetString(), finding.GetProperty("team").GetString()));
        Assert.Equal(3 * 0.0035m, finding.GetProperty("wasted_usd").GetDecimal());
        Assert.Equal(rows.Select(r => r.Id), finding.GetProperty("rows").EnumerateArray().Select(r => r.GetString()));
        Assert.False(string.IsNullOrWhiteSpace(finding.GetProperty("fix").GetString()));

        (exit, stdout, stderr) = await CliProcess.RunAsync("waste", "--period", "7d", "--format", "csv", "--by", "person", "--data", _dir);
        Assert.True(exit == 0, stderr);
        Assert.StartsWith("detector,person,team,wasted_usd,row_count,rows,", stdout, StringComparison.Ordinal);
        Assert.Contains("retry-by-vibes,bob,payments,0.0105,4,", stdout, StringComparison.Ordinal);

        (exit, stdout, stderr) = await CliProcess.RunAsync("waste", "--period", "7d", "--data", _dir);
        Assert.True(exit == 0, stderr);
        Assert.Contains("retry-by-vibes: 0.010500 USD in 1 finding(s)", stdout, StringComparison.Ordinal);

        (exit, _, stderr) = await CliProcess.RunAsync("waste", "--period", "fortnight", "--data", _dir);
        Assert.Equal(2, exit);
        Assert.Contains("--period", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Keys_create_an_automation_key_with_and_without_an_owner()
    {
        var (exit, stdout, stderr) = await CliProcess.RunAsync("keys", "create", "--person", "nightly-bot", "--team", "platform", "--kind", "automation", "--owner", "ada", "--data", _dir);
        Assert.True(exit == 0, stderr);
        Assert.Contains("automation key", stdout, StringComparison.Ordinal);
        Assert.Contains("owner ada", stdout, StringComparison.Ordinal);
        (exit, stdout, stderr) = await CliProcess.RunAsync("keys", "list", "--data", _dir);
        Assert.True(exit == 0, stderr);
        Assert.Contains("automation, owner ada", stdout, StringComparison.Ordinal);
        (exit, _, stderr) = await CliProcess.RunAsync("keys", "create", "--person", "x", "--team", "platform", "--owner", "ada", "--data", _dir);
        Assert.Equal(2, exit);
        Assert.Contains("only an automation key has an owner", stderr, StringComparison.Ordinal);
    }
}
