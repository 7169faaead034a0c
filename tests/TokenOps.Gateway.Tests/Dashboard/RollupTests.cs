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
            // Every rollup table and every step that made or changed one (they run again, in order, on reopening).
            cmd.CommandText = "DROP TABLE rollup_hourly; DROP TABLE rollup_daily; DROP TABLE rollup_hourly_org; DROP TABLE rollup_daily_org; " +
                "DROP TABLE rollup_monthly; DROP TABLE rollup_monthly_org; DROP TABLE rollup_weekly; DROP TABLE rollup_weekly_org; DROP TABLE rollup_daily_model; " +
                $"DELETE FROM schema_migrations WHERE id IN ('0500_rollups_hourly_daily', {MonthlyAndLaterSteps});";
            cmd.ExecuteNonQuery();
        }
        var reopened = new SqliteDatabase(_dir);
        var q = new RollupQueries(reopened);
        AssertGroups(rows, q.Group(Week, RollupDimension.Person), e => e.Person);
        AssertGroups(rows, q.Group(Week with { HourlyBuckets = true }, RollupDimension.Model), e => e.ServedModel);
        Assert.Equal(rows.Count, q.Group(Week with { HourlyBuckets = true }, RollupDimension.Bucket).Sum(b => b.Requests));
    }

    /// <summary>180 rows about 17 hours apart from late August 2026 into January 2027: several month edges and a year edge.</summary>
    private static List<LedgerEntry> MonthsOfRows()
    {
        var t0 = new DateTimeOffset(2026, 8, 29, 5, 17, 0, TimeSpan.Zero);
        var template = DashboardData.Build(Now);
        return Enumerable.Range(0, 180).Select(i => template[i % template.Count] with
        {
            Id = $"evt_month_{i:D3}", StartedAt = t0.AddMinutes(1031 * i), EndedAt = t0.AddMinutes(1031 * i).AddSeconds(1),
        }).ToList();
    }

    /// <summary>Ranges mixing partial hours, partial days, whole days and whole months (the months read from rollup_monthly*).</summary>
    private static readonly (DateTimeOffset From, DateTimeOffset To)[] MixedRanges =
    [
        (new(2026, 8, 30, 13, 20, 0, TimeSpan.Zero), new(2026, 12, 2, 7, 30, 0, TimeSpan.Zero)),
        (new(2026, 9, 1, 0, 0, 0, TimeSpan.Zero), new(2026, 12, 1, 0, 0, 0, TimeSpan.Zero)),
        (new(2026, 9, 28, 0, 0, 0, TimeSpan.Zero), new(2026, 11, 3, 0, 0, 0, TimeSpan.Zero)),
        (new(2026, 10, 5, 0, 0, 0, TimeSpan.Zero), new(2026, 10, 20, 0, 0, 0, TimeSpan.Zero)),
        (new(2026, 11, 30, 22, 0, 0, TimeSpan.Zero), new(2027, 1, 2, 3, 0, 0, TimeSpan.Zero)),
        (new(2026, 10, 10, 3, 0, 0, TimeSpan.Zero), new(2026, 10, 10, 19, 45, 0, TimeSpan.Zero)),
        (new(2026, 10, 31, 23, 59, 0, TimeSpan.Zero), new(2026, 12, 1, 0, 1, 0, TimeSpan.Zero)),
        (new(2026, 8, 1, 0, 0, 0, TimeSpan.Zero), new(2027, 2, 1, 0, 0, 0, TimeSpan.Zero)),
        // 30-day shapes: four whole weeks plus edge days, with and without partial hours.
        (new(2026, 10, 25, 0, 0, 0, TimeSpan.Zero), new(2026, 11, 24, 0, 0, 0, TimeSpan.Zero)),
        (new(2026, 10, 25, 6, 10, 0, TimeSpan.Zero), new(2026, 11, 24, 17, 5, 0, TimeSpan.Zero)),
        (new(2026, 12, 28, 0, 0, 0, TimeSpan.Zero), new(2027, 1, 11, 0, 0, 0, TimeSpan.Zero)),
    ];

    /// <summary>The rows a range covers at hour precision (start floored, end ceiled to the hour).</summary>
    private static List<LedgerEntry> In(IEnumerable<LedgerEntry> rows, DateTimeOffset from, DateTimeOffset to)
    {
        var f = new DateTimeOffset(from.UtcTicks - from.UtcTicks % TimeSpan.TicksPerHour, TimeSpan.Zero);
        var t = to.UtcTicks % TimeSpan.TicksPerHour == 0 ? to : new DateTimeOffset(to.UtcTicks - to.UtcTicks % TimeSpan.TicksPerHour, TimeSpan.Zero).AddHours(1);
        return rows.Where(r => r.StartedAt >= f && r.StartedAt < t).ToList();
    }

    private static void AssertRangesEqualLedger(RollupQueries q, IReadOnlyList<LedgerEntry> ledger)
    {
        foreach (var (from, to) in MixedRanges)
        {
            var rows = In(ledger, from, to);
            var range = new RollupFilter(from, to);
            AssertGroups(rows, q.Group(range, RollupDimension.Team), e => e.Team);
            AssertGroups(rows, q.Group(range, RollupDimension.Person), e => e.Person);
            AssertGroups(rows, q.Group(range, RollupDimension.Model), e => e.ServedModel);
            AssertGroups(rows, q.Group(range, RollupDimension.Outcome), e => e.Outcome.ToString());
            AssertGroups(rows, q.Group(range with { Team = DashboardData.Payments }, RollupDimension.Project),
                e => e.Project, rows.Where(r => r.Team == DashboardData.Payments).ToList());
            AssertGroups(rows, q.Group(range with { Person = "bob" }, RollupDimension.Feature),
                e => e.Feature, rows.Where(r => r.Person == "bob").ToList());
            var total = q.Total(range);
            Assert.Equal(rows.Count, total.Requests);
            Assert.Equal(rows.Sum(r => r.CostNanos), total.CostNanos);
            Assert.Equal(rows.Count(r => r.Usage.CacheRead > 0), total.CacheHitRequests);
            Assert.Equal(rows.Count(r => r.BudgetAction is not null), total.DegradedRequests);
            Assert.Equal(rows.Count(r => r.Outcome != LedgerOutcome.Ok), total.ErrorRequests);
            // The cube the overview reads (several dimensions at once) folds into the same sums.
            var cube = q.Cube(range, RollupDimension.Team, RollupDimension.Project, RollupDimension.Model, RollupDimension.Provider);
            AssertGroups(rows, Rollups.Fold(cube, 2), e => e.ServedModel);
            Assert.Equal(rows.Sum(r => r.CostNanos), Rollups.Fold(cube, -1)[0].CostNanos);
        }
    }

    /// <summary>Each monthly and weekly table row by row against the ledger grouped by calendar month / by week (from Monday, UTC).</summary>
    private static void AssertLongTablesEqualLedger(SqliteDatabase db)
    {
        using var c = db.Open();
        using var cmd = c.CreateCommand();
        const string person = "person, team, project, feature, model, provider, outcome", org = "team, project, model, provider";
        const string month = "substr(started_at, 1, 7)", week = "date(substr(started_at, 1, 10), '-6 days', 'weekday 1')";
        foreach (var (table, dims, bucket) in new[] { ("rollup_monthly", person, month), ("rollup_monthly_org", org, month), ("rollup_weekly", person, week), ("rollup_weekly_org", org, week),
            ("rollup_daily_model", "model, provider", "substr(started_at, 1, 10)") })
        {
            var source = string.Join(", ", dims.Split(", ").Select(d => d switch
            {
                "model" => "COALESCE(served_model, requested_model, '') AS model",
                "outcome" => "outcome",
                _ => $"COALESCE({d}, '') AS {d}",
            }));
            // Rows in one and not the other, both ways (EXCEPT is a set difference over every column).
            var ledger = $"SELECT {bucket} AS bucket, {source}, COUNT(*) AS requests, SUM(cost_nanos) AS cost_nanos, SUM(output_tokens) AS output_tokens, " +
                $"SUM(cache_read_tokens > 0) AS hits, SUM(outcome <> 'Ok') AS errors FROM ledger GROUP BY 1, {dims}";
            var rollup = $"SELECT bucket, {dims}, requests, cost_nanos, output_tokens, cache_hit_requests, error_requests FROM {table} WHERE requests <> 0";
            cmd.CommandText = $"SELECT (SELECT COUNT(*) FROM ({ledger} EXCEPT {rollup})) + (SELECT COUNT(*) FROM ({rollup} EXCEPT {ledger})), (SELECT COUNT(*) FROM {table});";
            using var r = cmd.ExecuteReader();
            Assert.True(r.Read());
            Assert.Equal(0, r.GetInt64(0));
            Assert.True(r.GetInt64(1) > 5, $"{table} has rows");
        }
    }

    [Fact]
    public void MonthlyLevel_EqualsLedger_AcrossMonthEdgesAndPartialDays_AndReplaysStayIdempotent()
    {
        var db = new SqliteDatabase(_dir);
        var store = new SqliteLedgerStore(db);
        var rows = MonthsOfRows();
        Assert.Equal(100, store.Write(rows.Take(100).ToList()));
        Assert.Equal(80, store.Write(rows.Skip(100).ToList()));
        var q = new RollupQueries(db);
        AssertRangesEqualLedger(q, rows);
        AssertLongTablesEqualLedger(db);

        // Replays (a journal re-sending committed rows, in other batch shapes) change nothing; one new row counts once.
        var extraAt = new DateTimeOffset(2026, 10, 31, 23, 59, 59, TimeSpan.Zero);
        var extra = rows[50] with { Id = "evt_month_new", StartedAt = extraAt, EndedAt = extraAt.AddMilliseconds(500) };
        Assert.Equal(0, store.Write(rows));
        Assert.Equal(1, store.Write([.. rows.Skip(40).Take(30), extra, .. rows.Take(5)]));
        Assert.Equal(0, store.Write([extra]));
        rows.Add(extra);
        AssertRangesEqualLedger(q, rows);
        AssertLongTablesEqualLedger(db);

        // An import replacing a row with a grown copy retracts the old one from the monthly level too.
        var grown = rows[70] with { Usage = rows[70].Usage with { Output = rows[70].Usage.Output + 900 }, CostNanos = rows[70].CostNanos + 12_345 };
        Assert.Equal(1, store.Merge([grown]));
        Assert.Equal(0, store.Merge([grown]));
        rows[70] = grown;
        AssertRangesEqualLedger(q, rows);
        AssertLongTablesEqualLedger(db);

        // A rebuild (bulk loads) gives the same tables as the incremental path.
        using (var c = db.Open()) LedgerRollups.Rebuild(c);
        AssertRangesEqualLedger(q, rows);
        AssertLongTablesEqualLedger(db);
    }

    [Fact]
    public void LongRanges_ReadWholeMonthsAndWeeksFromTheirLevels()
    {
        var db = new SqliteDatabase(_dir);
        var rows = MonthsOfRows();
        new SqliteLedgerStore(db).Write(rows);
        var q = new RollupQueries(db);
        // 20 Sep (a Sunday) to 10 Dec: days 20 Sep, week 21-27 Sep, days 28-30 Sep, months Oct and Nov, days 1-9 Dec.
        var range = new RollupFilter(new DateTimeOffset(2026, 9, 20, 0, 0, 0, TimeSpan.Zero), new DateTimeOffset(2026, 12, 10, 0, 0, 0, TimeSpan.Zero));
        var before = q.Total(range);
        var teamBefore = q.Cube(range with { Team = DashboardData.Payments }, RollupDimension.Person, RollupDimension.Project);
        // Empty the daily and hourly rows of 21-27 September, October and November: a range that reads that week and those
        // months from rollup_weekly* and rollup_monthly* does not notice.
        using (var c = db.Open())
        using (var cmd = c.CreateCommand())
        {
            cmd.CommandText = string.Concat(new[] { "rollup_daily", "rollup_daily_org", "rollup_daily_model", "rollup_hourly", "rollup_hourly_org" }.Select(t =>
                $"DELETE FROM {t} WHERE (bucket >= '2026-10' AND bucket < '2026-12') OR (bucket >= '2026-09-21' AND bucket < '2026-09-28');"));
            Assert.True(cmd.ExecuteNonQuery() > 0);
        }
        Assert.Equal(before, q.Total(range));
        Assert.Equal(In(rows, range.From, range.To).Sum(r => r.CostNanos), before.CostNanos);
        var teamAfter = q.Cube(range with { Team = DashboardData.Payments }, RollupDimension.Person, RollupDimension.Project);
        Assert.Equal(teamBefore.Select(x => (string.Join("/", x.Keys), x.Sums)), teamAfter.Select(x => (string.Join("/", x.Keys), x.Sums)));
        // The organisation's daily series and by-model groups over whole days read rollup_daily_model: emptying daily_org changes nothing.
        var series = q.Group(range, RollupDimension.Bucket);
        var models = q.Group(range, RollupDimension.Model);
        using (var c = db.Open())
        using (var cmd = c.CreateCommand())
        {
            cmd.CommandText = "DELETE FROM rollup_daily_org;";
            cmd.ExecuteNonQuery();
        }
        Assert.Equal(series, q.Group(range, RollupDimension.Bucket));
        Assert.Equal(models, q.Group(range, RollupDimension.Model));
        Assert.NotEqual(series, q.Group(range with { Team = DashboardData.Payments }, RollupDimension.Bucket));
        // While the daily series (one table, by day) does notice: the test would catch a query that ignores the month split.
        Assert.True(q.Group(range, RollupDimension.Bucket).Sum(b => b.Requests) < before.Requests);
    }

    [Fact]
    public void Migrations0600And0610_BackfillMonthlyAndWeeklyRollupsFromExistingRollups()
    {
        var db = new SqliteDatabase(_dir);
        var rows = MonthsOfRows();
        new SqliteLedgerStore(db).Write(rows);
        // Pretend the rollups predate the monthly level: drop it and forget the step.
        using (var c = db.Open())
        using (var cmd = c.CreateCommand())
        {
            // The hourly and daily tables go back to their columns of step 0500; the later rollup steps run again, in order.
            cmd.CommandText = "DROP TABLE rollup_monthly; DROP TABLE rollup_monthly_org; DROP TABLE rollup_weekly; DROP TABLE rollup_weekly_org; DROP TABLE rollup_daily_model; " +
                $"DELETE FROM schema_migrations WHERE id IN ({MonthlyAndLaterSteps});";
            cmd.ExecuteNonQuery();
            foreach (var table in new[] { "rollup_hourly", "rollup_daily", "rollup_hourly_org", "rollup_daily_org" })
                foreach (var column in LaterColumns(c, table))
                {
                    cmd.CommandText = $"ALTER TABLE {table} DROP COLUMN {column};";
                    cmd.ExecuteNonQuery();
                }
        }
        SqliteConnection.ClearAllPools();
        var reopened = new SqliteDatabase(_dir);
        AssertLongTablesEqualLedger(reopened);
        AssertRangesEqualLedger(new RollupQueries(reopened), rows);
        using (var c = reopened.Open())
        using (var cmd = c.CreateCommand())
        {
            cmd.CommandText = "SELECT COUNT(*) FROM schema_migrations WHERE id IN ('0600_rollups_monthly', '0610_rollups_weekly', '0630_rollups_daily_model');";
            Assert.Equal(3L, cmd.ExecuteScalar());
        }
    }

    /// <summary>The rollup steps after 0500, which a test that pretends an older database must forget.</summary>
    private const string MonthlyAndLaterSteps =
        "'0600_rollups_monthly', '0610_rollups_weekly', '0630_rollups_daily_model', '1010_rollup_savings', '1620_rollup_priced_units'";

    /// <summary>The columns steps 1010 (savings) and 1620 (priced units) added to a rollup table.</summary>
    private static List<string> LaterColumns(SqliteConnection c, string table)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = $"SELECT name FROM pragma_table_info('{table}');";
        using var reader = cmd.ExecuteReader();
        var later = new List<string>();
        while (reader.Read())
        {
            var name = reader.GetString(0);
            if (name.StartsWith("saved_", StringComparison.Ordinal) || name.StartsWith("lever_", StringComparison.Ordinal) ||
                name is "levered_requests" or "moved_requests" or "tool_call_nanos" or "audio_nanos" or "image_nanos")
                later.Add(name);
        }
        return later;
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

    [Fact]
    public void Degraded_ReadsTheCoveringPartialIndex_WithoutTableLookups()
    {
        var db = new SqliteDatabase(_dir);
        var rows = DashboardData.Build(Now);
        new SqliteLedgerStore(db).Write(rows);
        var degraded = new LedgerExplorer(db).Degraded(Week.From, Week.To, DashboardData.Payments, null);
        var expected = rows.Single(r => r.BudgetAction?.StartsWith("degraded", StringComparison.Ordinal) == true);
        Assert.Equal((expected.RequestedModel, expected.ServedModel, expected.CostNanos, expected.Usage.Output),
            (degraded.Single().RequestedModel, degraded.Single().ServedModel, degraded.Single().CostNanos, degraded.Single().Output));
        Assert.Empty(new LedgerExplorer(db).Degraded(Week.From, Week.To, DashboardData.Search, null));
        using var c = db.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "EXPLAIN QUERY PLAN SELECT requested_model, served_model, uncached_input_tokens, cache_read_tokens, cache_write_5m_tokens, " +
            "cache_write_1h_tokens, output_tokens, reasoning_tokens, cost_nanos, budget_action FROM ledger INDEXED BY ledger_degraded_cover " +
            "WHERE budget_action LIKE 'degraded%' AND started_at >= '2026' AND started_at < '2027' AND team = 'payments' LIMIT 20000;";
        using var r = cmd.ExecuteReader();
        Assert.True(r.Read());
        Assert.Contains("USING COVERING INDEX ledger_degraded_cover", r.GetString(3), StringComparison.Ordinal);
    }

    private static void AssertGroups(IReadOnlyList<LedgerEntry> rows, IReadOnlyList<RollupRow> groups, Func<LedgerEntry, string?> key, IReadOnlyList<LedgerEntry>? only = null)
    {
        rows = only ?? rows;
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
