using TokenOps.Gateway.Tests.Infrastructure;

namespace TokenOps.Gateway.Tests.Audit;

/// <summary>`tokenops retention run`: a too-short period is refused naming the key; old detail is exported, then purged.</summary>
public sealed class RetentionCliTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "tokenops-retention-cli", Guid.NewGuid().ToString("N"));

    private string Write(string name, string text)
    {
        Directory.CreateDirectory(_dir);
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public async Task RetentionRun_ExportsThenPurgesOldDetail_AndRefusesAPeriodBudgetsNeed()
    {
        var data = Path.Combine(_dir, "data");
        var tooShort = Write("short.json", """{"retention":{"ledgerDays":30}}""");
        var (exit, _, stderr) = await CliProcess.RunAsync("retention", "run", "--config", tooShort, "--data", data);
        Assert.Equal(2, exit);
        Assert.Contains("retention.ledgerDays must be at least 62", stderr);

        var old = DateTimeOffset.UtcNow.AddDays(-200).ToString("yyyy-MM-ddT00:00:00Z");
        var oldEnd = DateTimeOffset.UtcNow.AddDays(-199).ToString("yyyy-MM-ddT00:00:00Z");
        var export = Write("usage.json", $$"""
            {"data":[{"starting_at":"{{old}}","ending_at":"{{oldEnd}}","results":[
              {"uncached_input_tokens":1000,"output_tokens":100,"model":"claude-haiku-4-5","context_window":"0-200k","workspace_id":"w1"}]}],"has_more":false}
            """);
        (exit, _, stderr) = await CliProcess.RunAsync("import", "anthropic-usage", export, "--data", data);
        Assert.True(exit == 0, stderr);
        string[] byModel = ["report", "--by", "model", "--period", "365d", "--format", "csv", "--data", data];
        var (_, before, _) = await CliProcess.RunAsync(byModel);
        Assert.Contains("claude-haiku-4-5", before);

        var config = Write("keep.json", """{"retention":{"ledgerDays":62}}""");
        (exit, var stdout, stderr) = await CliProcess.RunAsync("retention", "run", "--config", config, "--data", data);
        Assert.True(exit == 0, stderr);
        Assert.Contains("purged 1 rows (rollups kept)", stdout);
        Assert.Single(Directory.GetFiles(Path.Combine(data, "retention"), "ledger-before-*.csv.gz"));
        var (_, ledger, _) = await CliProcess.RunAsync("ledger", "--data", data, "--format", "json");
        Assert.Equal("", ledger.Trim());
        // Reports by team, model, ... read rollups: the purged months still add up.
        var (_, after, _) = await CliProcess.RunAsync(byModel);
        Assert.Equal(before, after);
    }

    public void Dispose()
    {
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }
}
