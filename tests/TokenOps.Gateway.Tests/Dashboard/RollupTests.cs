using Microsoft.Data.Sqlite;
using TokenOps.Core.Ledger;
using TokenOps.Storage.Sqlite;

namespace TokenOps.Gateway.Tests.Dashboard;

/// <summary>The rollups equal the ledger, stay equal under replays, are backfilled by the migration, and the explorer pages by keyset.</summary>
public sealed class RollupTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "tokenops-rollups", Guid.NewGuid().ToString("N"));
    private static readonly DateTimeOffset Now = new(2026, 11, 20, 15, 30, 0, TimeSpan.Zero);

    private static readonly DateTimeOffset Today = new(Now.UtcDateTime.Date, TimeSpan.Zero);
    private static RollupFilter Week => new(Today.AddDays(-6), Today.AddDays(1));

    [Fact]
    public void Rollups_EqualLedgerSums_ByEveryDimension()
    {
        var db = new SqliteDatabase(_dir);
        var rows = DashboardData.Build(Now);
        new SqliteLedgerStore(db).Write(rows.Take(25).ToList());
        new SqliteLedgerStore(db).Write(rows.Skip(25).ToList());
        var q = new RollupQueries(db);
        AssertGroups(rows, q.Group(Week, RollupDimension.Team), e => e.Team);
        AssertGroups(rows, q.Group(Week, RollupDimension.Person), e => e.Person);
        AssertGroups(rows, q.Group(Week, RollupDimension.Project), e => e.Project);
        AssertGroups(rows, q.Group(Week, RollupDimension.Model), e => e.ServedModel);
        AssertGroups(rows, q.Group(Week, RollupDimension.Feature), e => e.Feature);
        AssertGroups(rows, q.Group(Week, RollupDimension.Outcome), e => e.Outcome.ToString());
        var total = q.Total(Week);
        Assert.Equal(rows.Sum(r => r.CostNanos), total.CostNanos);
        Assert.Equal(rows.Count(r => r.Usage.CacheRead > 0), total.CacheHitRequests);
        Assert.Equal(1, total.DegradedRequests);
        Assert.Equal(rows.Count(r => r.Outcome != LedgerOutcome.Ok), total.ErrorRequests);
        // Hourly and daily tables agree, and a filter narrows both.
        var hourly = q.Total(Week with { From = Week.From.AddMinutes(1), Team = DashboardData.Payments });
        Assert.Equal(rows.Where(r => r.Team == DashboardData.Payments).Sum(r => r.CostNanos), hourly.CostNanos);
    }

    [Fact]
    public void Replay_DoesNotCountTwice()
    {
        var db = new SqliteDatabase(_dir);
        var store = new SqliteLedgerStore(db);
        var rows = DashboardData.Build(Now);
        Assert.Equal(rows.Count, store.Write(rows));
        // A journal replay after a crash re-sends rows already committed, mixed with one new row.
        var extra = rows[0] with { Id = "evt_dash_new" };
        Assert.Equal(1, store.Write([.. rows.Take(10), extra]));
        var total = new RollupQueries(db).Total(Week);
        Assert.Equal(rows.Count + 1, total.Requests);
        Assert.Equal(rows.Sum(r => r.CostNanos) + extra.CostNanos, total.CostNanos);
    }

    [Fact]
    public void ImportMerge_ReplacingARowWithAGrownCopy_MovesTheRollupsWithIt()
    {
        var db = new SqliteDatabase(_dir);
        var store = new SqliteLedgerStore(db);
        var rows = DashboardData.Build(Now);
        Assert.Equal(rows.Count, store.Merge(rows));
        // A streamed message logged again once complete: more output tokens, a higher cost. Smaller copies change nothing.
        var grown = rows[3] with { Usage = rows[3].Usage with { Output = rows[3].Usage.Output + 500 }, CostNanos = rows[3].CostNanos + 7_000 };
        var shrunk = rows[4] with { Usage = rows[4].Usage with { Output = 0, UncachedInput = 0, CacheRead = 0 }, CostNanos = 1 };
        Assert.Equal(1, store.Merge([grown, shrunk]));
        var total = new RollupQueries(db).Total(Week);
        Assert.Equal(rows.Count, total.Requests);
        Assert.Equal(rows.Sum(r => r.CostNanos) + 7_000, total.CostNanos);
        Assert.Equal(rows.Sum(r => r.Usage.Output) + 500, total.OutputTokens);
        Assert.Equal(store.Read().Sum(r => r.CostNanos), total.CostNanos);
    }

    [Fact]
    public void Migration_BackfillsRollupsFromExistingLedgerRows()
    {
        var db = new SqliteDatabase(_dir);
        var rows = DashboardData.Build(Now);
        new SqliteLedgerStore(db).Write(rows);
        // Pretend the ledger predates the rollups: drop them and forget the step.
        using (var c = db.Open())
        using (var cmd = c.CreateCommand())
        {
            cmd.CommandText = "DROP TABLE rollup_hourly; DROP TABLE rollup_daily; DROP TABLE rollup_hourly_org; DROP TABLE rollup_daily_org; DELETE FROM schema_migrations WHERE id LIKE '0500_rollups%';";
            cmd.ExecuteNonQuery();
        }
        var reopened = new SqliteDatabase(_dir);
        var q = new RollupQueries(reopened);
        AssertGroups(rows, q.Group(Week, RollupDimension.Person), e => e.Person);
        AssertGroups(rows, q.Group(Week with { HourlyBuckets = true }, RollupDimension.Model), e => e.ServedModel);
        Assert.Equal(rows.Count, q.Group(Week with { HourlyBuckets = true }, RollupDimension.Bucket).Sum(b => b.Requests));
    }

    [Fact]
    public void Explorer_PagesByKeyset_WithFilters_AndNoDuplicates()
    {
        var db = new SqliteDatabase(_dir);
        var rows = DashboardData.Build(Now);
        new SqliteLedgerStore(db).Write(rows);
        var explorer = new LedgerExplorer(db);
        var seen = new List<string>();
        string? cursor = null;
        for (var page = 0; page < 20; page++)
        {
            var (items, next) = explorer.Page(new ExplorerFilter(Week.From, Week.To) { Limit = 7, Cursor = cursor });
            seen.AddRange(items.Select(i => i.Id));
            cursor = next;
            if (cursor is null) break;
        }
        Assert.Null(cursor);
        Assert.Equal(rows.OrderByDescending(r => r.StartedAt).Select(r => r.Id), seen);
        var (bobErrors, _) = explorer.Page(new ExplorerFilter(Week.From, Week.To) { Person = "bob", Status = "error" });
        Assert.Equal(rows.Where(r => r.Person == "bob" && r.Outcome != LedgerOutcome.Ok).Select(r => r.Id).Order(), bobErrors.Select(r => r.Id).Order());
        var (mini, _) = explorer.Page(new ExplorerFilter(Week.From, Week.To) { Model = "gpt-4o-mini", Team = DashboardData.Payments });
        Assert.Equal(rows.Count(r => r.ServedModel == "gpt-4o-mini" && r.Team == DashboardData.Payments), mini.Count);
        // Failures are read through the partial indexes (with and without a team).
        var (teamFailures, _) = explorer.Page(new ExplorerFilter(Week.From, Week.To) { Team = DashboardData.Payments, Status = "ProviderError" });
        Assert.Equal(rows.Count(r => r.Team == DashboardData.Payments && r.Outcome == LedgerOutcome.ProviderError), teamFailures.Count);
        var (allFailures, _) = explorer.Page(new ExplorerFilter(Week.From, Week.To) { Status = "error" });
        Assert.Equal(rows.Count(r => r.Outcome != LedgerOutcome.Ok), allFailures.Count);
        var (ok, _) = explorer.Page(new ExplorerFilter(Week.From, Week.To) { Status = "Ok", Team = DashboardData.Search });
        Assert.Equal(rows.Count(r => r.Outcome == LedgerOutcome.Ok && r.Team == DashboardData.Search), ok.Count);
        Assert.Single(explorer.Degraded(Week.From, Week.To, null, null));
        Assert.Single(explorer.Degraded(Week.From, Week.To, DashboardData.Payments, null));
    }

    [Fact]
    public void Explorer_UsesIndexes_NotAFullScan()
    {
        var db = new SqliteDatabase(_dir);
        using var c = db.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "EXPLAIN QUERY PLAN SELECT id FROM ledger WHERE started_at >= '2026' AND started_at < '2027' AND person = 'bob' ORDER BY started_at DESC, id DESC LIMIT 101;";
        using var r = cmd.ExecuteReader();
        var plan = new List<string>();
        while (r.Read()) plan.Add(r.GetString(3));
        Assert.Contains(plan, p => p.Contains("USING INDEX", StringComparison.Ordinal));
        Assert.DoesNotContain(plan, p => p.StartsWith("SCAN ledger", StringComparison.Ordinal) && !p.Contains("INDEX", StringComparison.Ordinal));
    }

    private static void AssertGroups(IReadOnlyList<LedgerEntry> rows, IReadOnlyList<RollupRow> groups, Func<LedgerEntry, string?> key)
    {
        var expected = rows.GroupBy(r => key(r) ?? "").ToDictionary(g => g.Key, g => (Cost: g.Sum(r => r.CostNanos), Count: (long)g.Count(),
            Input: g.Sum(r => r.Usage.TotalInput), Output: g.Sum(r => r.Usage.Output)));
        Assert.Equal(expected.Keys.Order(), groups.Select(g => g.Key).Order());
        foreach (var g in groups)
        {
            Assert.Equal(expected[g.Key].Cost, g.CostNanos);
            Assert.Equal(expected[g.Key].Count, g.Requests);
            Assert.Equal(expected[g.Key].Input, g.InputTokens);
            Assert.Equal(expected[g.Key].Output, g.OutputTokens);
        }
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }
}
