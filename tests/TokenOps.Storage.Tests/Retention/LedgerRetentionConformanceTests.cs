using System.Data.Common;
using System.IO.Compression;
using Microsoft.Extensions.Time.Testing;
using TokenOps.Core.Ledger;
using TokenOps.Core.Metering;
using TokenOps.Storage.Retention;

namespace TokenOps.Storage.Tests.Retention;

/// <summary>
/// Retention on every backend: rows older than the period are exported (gzipped CSV, every row), then deleted by id;
/// newer rows and every rollup stay, so reports over the purged months still add up.
/// </summary>
public abstract class LedgerRetentionConformanceTests
{
    protected abstract ILedgerStore Ledger { get; }
    protected abstract ILedgerRetention Retention { get; }
    protected abstract DbConnection OpenConnection();

    private readonly string _exports = Path.Combine(Path.GetTempPath(), "tokenops-retention", Guid.NewGuid().ToString("N"));
    private static readonly DateTimeOffset Now = new(2026, 12, 3, 10, 0, 0, TimeSpan.Zero);

    private static LedgerEntry Row(string id, DateTimeOffset at, long nanos) => new()
    {
        Id = id, StartedAt = at, EndedAt = at.AddSeconds(1), Route = "openai.chat", Person = "ada", Team = "core", Provider = "openai",
        RequestedModel = "gpt-4o-mini", ServedModel = "gpt-4o-mini", Usage = new TokenUsage { UncachedInput = 10, Output = 5 },
        CostNanos = nanos, Status = 200, Outcome = LedgerOutcome.Ok,
    };

    private long RollupCost()
    {
        using var connection = OpenConnection();
        using var query = connection.CreateCommand();
        query.CommandText = "SELECT COALESCE(SUM(cost_nanos), 0) FROM rollup_daily_model";
        return Convert.ToInt64(query.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    [Fact]
    public virtual void Old_rows_are_exported_then_purged_and_rollups_and_new_rows_stay()
    {
        Ledger.Write([
            Row("old-1", Now.AddDays(-200), 1_000), Row("old-2", Now.AddDays(-100), 2_000), Row("old-3", Now.AddDays(-63), 3_000),
            Row("new-1", Now.AddDays(-61), 4_000), Row("new-2", Now.AddHours(-1), 5_000),
        ]);
        var rollups = RollupCost();
        var runner = new LedgerRetentionRunner(Ledger, Retention, new FakeTimeProvider(Now));

        var dry = runner.Run(62, _exports, dryRun: true);
        Assert.Equal((3L, 0L), (dry.Due, dry.Purged));
        Assert.Equal(5, Ledger.Count());

        var result = runner.Run(62, _exports);
        Assert.Equal((3L, 3L), (result.Due, result.Purged));
        Assert.Equal(["new-1", "new-2"], Ledger.Read().Select(r => r.Id).Order());
        Assert.Equal(rollups, RollupCost());
        using (var gzip = new GZipStream(File.OpenRead(result.ExportFile!), CompressionMode.Decompress))
        using (var reader = new StreamReader(gzip))
        {
            var lines = reader.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(4, lines.Length); // the header and the three rows
            Assert.All(new[] { "old-1", "old-2", "old-3" }, id => Assert.Contains(lines, l => l.StartsWith(id + ",", StringComparison.Ordinal)));
        }
        Assert.Equal(0, runner.Run(62, _exports).Due);
        try { Directory.Delete(_exports, true); } catch (IOException) { }
    }

    [Fact]
    public virtual void Only_the_exported_ids_are_deleted()
    {
        Ledger.Write([Row("a", Now.AddDays(-90), 1), Row("b", Now.AddDays(-90), 1)]);
        Assert.Equal(1, Retention.Purge(["a", "not-there"]));
        Assert.Equal(["b"], Ledger.Read().Select(r => r.Id));
        Assert.Equal(0, Retention.Purge([]));
    }

    [Fact]
    public virtual void One_purge_at_a_time()
    {
        using var first = Retention.TryLock();
        Assert.NotNull(first);
        Assert.Null(Retention.TryLock());
        first!.Dispose();
        using var again = Retention.TryLock();
        Assert.NotNull(again);
    }
}
