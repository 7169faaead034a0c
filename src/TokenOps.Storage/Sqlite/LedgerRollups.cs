using System.Globalization;
using Microsoft.Data.Sqlite;
using System.Runtime.CompilerServices;
using TokenOps.Core.Ledger;
using TokenOps.Core.Savings;

namespace TokenOps.Storage.Sqlite;

/// <summary>
/// Keeps the rollups (hourly, daily, weekly, monthly, their _org copies, and days by model) up to date as the ledger grows. Called by <see cref="SqliteLedgerStore.Write"/>
/// inside the ledger's transaction with only the rows that were actually inserted, so a replayed event never counts twice.
/// The batch is aggregated in memory first: one UPSERT per distinct (bucket, dimensions) key, not one per row.
/// Dimensions are stored as '' when absent so that the primary key is a real key (NULLs are never equal in SQLite).
/// </summary>
public static class LedgerRollups
{
    /// <summary>The rollup tables (same measures; the bucket is 'yyyy-MM-ddTHH' for hours, 'yyyy-MM-dd' for days, UTC).</summary>
    public const string Hourly = "rollup_hourly";
    public const string Daily = "rollup_daily";
    /// <summary>Organisation-level copies without person, feature and outcome (errors are still counted): far fewer rows per bucket for org-wide pages.</summary>
    public const string HourlyOrg = "rollup_hourly_org";
    public const string DailyOrg = "rollup_daily_org";
    /// <summary>Calendar-month level ('yyyy-MM', UTC): long ranges read whole months here and only their edges from the daily/hourly tables.</summary>
    public const string Monthly = "rollup_monthly";
    public const string MonthlyOrg = "rollup_monthly_org";
    /// <summary>Week level (bucket = the week's Monday, 'yyyy-MM-dd', UTC): whole weeks of a range outside its whole months.</summary>
    public const string Weekly = "rollup_weekly";
    public const string WeeklyOrg = "rollup_weekly_org";
    /// <summary>Days by model and provider only (about ten rows a day): the organisation's daily series and month-to-date total without reading every team's rows.</summary>
    public const string DailyModel = "rollup_daily_model";
    internal const string ModelDimensions = "model, provider";

    internal const string Dimensions = "person, team, project, feature, model, provider, outcome";
    internal const string OrgDimensions = "team, project, model, provider";
    /// <summary>The measures of the first rollup steps (0500 to 0630), whose SQL never changes.</summary>
    internal const string BaseMeasures =
        "requests, uncached_input_tokens, cache_read_tokens, cache_write_5m_tokens, cache_write_1h_tokens, output_tokens, " +
        "reasoning_tokens, cost_nanos, cache_read_nanos, cache_hit_requests, degraded_requests, error_requests";

    /// <summary>
    /// The savings measures (step 1010): requests with a lever, requests moved to a cheaper model, each lever's saving
    /// (the ledger's saved_* columns, same names) and the requests each lever applied to. Savings reports read these, so
    /// they never scan the ledger.
    /// </summary>
    internal static readonly string[] SavingsMeasureNames =
    [
        "levered_requests", "moved_requests",
        .. SavingsLevers.All.Select(SavedColumn),
        .. SavingsLevers.All.Select(l => "lever_" + l.Replace('-', '_') + "_requests"),
    ];

    /// <summary>A lever's saving column, in the ledger and in the rollups.</summary>
    internal static string SavedColumn(string lever) => "saved_" + lever.Replace('-', '_') + "_nanos";

    internal static readonly string SavingsMeasures = string.Join(", ", SavingsMeasureNames);

    /// <summary>
    /// The priced units beyond tokens (step 1620), as cost buckets of their own: server and web-search tool calls; audio
    /// (audio tokens in and out, seconds, characters); images (image tokens in and out, per image).
    /// </summary>
    internal static readonly string[] UnitMeasureNames = ["tool_call_nanos", "audio_nanos", "image_nanos"];

    internal static readonly string UnitMeasures = string.Join(", ", UnitMeasureNames);

    /// <summary>The unit measures summed over ledger rows, in <see cref="UnitMeasureNames"/> order (the same SQL on both backends).</summary>
    private const string UnitSums = "SUM(tool_call_nanos), SUM(audio_input_nanos + audio_output_nanos + audio_second_nanos + character_nanos), " +
        "SUM(image_input_nanos + image_output_nanos + image_nanos)";

    /// <summary>Every measure a rollup row holds, in column order of the upserts.</summary>
    internal static readonly string Measures = BaseMeasures + ", " + SavingsMeasures + ", " + UnitMeasures;

    /// <summary>A rollup table. Weekly tables key a week by its Monday ('yyyy-MM-dd', UTC) instead of a prefix of the timestamp.</summary>
    internal sealed record Spec(string Table, int BucketLength, string Dims, string Format, bool Weekly = false)
    {
        /// <summary>The table's dimensions as a set (computed once, not per batch).</summary>
        public HashSet<string> DimSet { get; } = Dims.Split(", ").ToHashSet(StringComparer.Ordinal);

        public string BucketOf(DateTime utc) => Weekly
            ? utc.Date.AddDays(-(((int)utc.DayOfWeek + 6) % 7)).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)
            : utc.ToString(Format, CultureInfo.InvariantCulture);

        /// <summary>The bucket of a finer table's bucket, in SQL (weeks from days: the Monday on or before the day).</summary>
        public string FromFinerBucket => Weekly ? "date(bucket, '-6 days', 'weekday 1')" : $"substr(bucket, 1, {BucketLength})";
    }

    private static readonly Spec[] Specs =
    [
        new(Hourly, 13, Dimensions, "yyyy-MM-dd'T'HH"),
        new(Daily, 10, Dimensions, "yyyy-MM-dd"),
        new(HourlyOrg, 13, OrgDimensions, "yyyy-MM-dd'T'HH"),
        new(DailyOrg, 10, OrgDimensions, "yyyy-MM-dd"),
    ];

    /// <summary>The monthly level (migration step 0600, kept apart so that step 0500's SQL never changes).</summary>
    private static readonly Spec[] MonthlySpecs =
    [
        new(Monthly, 7, Dimensions, "yyyy-MM"),
        new(MonthlyOrg, 7, OrgDimensions, "yyyy-MM"),
    ];

    /// <summary>The weekly level (migration step 0610): whole weeks of a range that are not whole months (a 30-day range is four weeks and two days).</summary>
    private static readonly Spec[] WeeklySpecs =
    [
        new(Weekly, 10, Dimensions, "yyyy-MM-dd", Weekly: true),
        new(WeeklyOrg, 10, OrgDimensions, "yyyy-MM-dd", Weekly: true),
    ];

    /// <summary>The daily by-model level (migration step 0630).</summary>
    private static readonly Spec[] DailyModelSpecs = [new(DailyModel, 10, ModelDimensions, "yyyy-MM-dd")];

    /// <summary>Every rollup table that <see cref="Apply"/>, <see cref="Retract"/> and <see cref="Rebuild"/> keep.</summary>
    private static readonly Spec[] AllSpecs = [.. Specs, .. MonthlySpecs, .. WeeklySpecs, .. DailyModelSpecs];

    private static readonly Dictionary<string, string> SourceOf = new(StringComparer.Ordinal)
    {
        ["person"] = "COALESCE(person, '')", ["team"] = "COALESCE(team, '')", ["project"] = "COALESCE(project, '')",
        ["feature"] = "COALESCE(feature, '')", ["model"] = "COALESCE(served_model, requested_model, '')",
        ["provider"] = "COALESCE(provider, '')", ["outcome"] = "outcome",
    };

    private static string CreateTable(Spec t)
    {
        var dims = t.Dims.Split(", ");
        var person = dims.Contains("person");
        var sql = $"""
        CREATE TABLE IF NOT EXISTS {t.Table} (
            bucket TEXT NOT NULL, {string.Join(", ", dims.Select(d => d + " TEXT NOT NULL"))},
            requests INTEGER NOT NULL, uncached_input_tokens INTEGER NOT NULL, cache_read_tokens INTEGER NOT NULL,
            cache_write_5m_tokens INTEGER NOT NULL, cache_write_1h_tokens INTEGER NOT NULL, output_tokens INTEGER NOT NULL,
            reasoning_tokens INTEGER NOT NULL, cost_nanos INTEGER NOT NULL, cache_read_nanos INTEGER NOT NULL,
            cache_hit_requests INTEGER NOT NULL, degraded_requests INTEGER NOT NULL, error_requests INTEGER NOT NULL,
            PRIMARY KEY ({(person ? "team, bucket, " + t.Dims.Replace("team, ", "", StringComparison.Ordinal) : "bucket, " + t.Dims)})) WITHOUT ROWID;

        """;
        // Person-level tables lead with team: a team page is one primary-key range, not an index plus a lookup per row.
        // Organisation-level tables lead with the bucket: the overview is one range of the table in key order.
        if (person) sql += $"CREATE INDEX IF NOT EXISTS {t.Table}_person ON {t.Table}(person, bucket);\n";
        else if (dims.Contains("team")) sql += $"CREATE INDEX IF NOT EXISTS {t.Table}_team ON {t.Table}(team, bucket);\n";
        return sql;
    }

    /// <summary>
    /// Adds every ledger row to a rollup table (the migration's backfill; also used after bulk loads). The first steps
    /// knew only the base measures (<paramref name="savings"/> false), so their SQL stays as it was.
    /// </summary>
    private static string Backfill(Spec t, bool savings)
    {
        var dims = t.Dims.Split(", ");
        var measures = savings ? Measures : BaseMeasures;
        return $"""
        INSERT INTO {t.Table} (bucket, {t.Dims}, {measures})
        SELECT substr(started_at, 1, {t.BucketLength}), {string.Join(", ", dims.Select(d => SourceOf[d]))},
               COUNT(*), SUM(uncached_input_tokens), SUM(cache_read_tokens), SUM(cache_write_5m_tokens), SUM(cache_write_1h_tokens),
               SUM(output_tokens), SUM(reasoning_tokens), SUM(cost_nanos), SUM(cache_read_nanos),
               SUM(cache_read_tokens > 0), SUM(COALESCE(budget_action LIKE 'degraded%', 0)), SUM(outcome <> 'Ok'){(savings ? ", " + SavingsSums + ", " + UnitSums : "")}
        FROM ledger WHERE true GROUP BY {string.Join(", ", Enumerable.Range(1, dims.Length + 1))}
        ON CONFLICT (bucket, {t.Dims}) DO UPDATE SET {UpdateSetOf(measures)};

        """;
    }

    /// <summary>The savings measures summed over ledger rows, in <see cref="SavingsMeasureNames"/> order (the same SQL on SQLite and PostgreSQL).</summary>
    private static string SavingsSums => string.Join(", ", new[]
    {
        "SUM(CASE WHEN savings_levers IS NOT NULL THEN 1 ELSE 0 END)",
        // CheaperModel.Moved: served by another model than the one named, with a positive routed + degraded saving.
        "SUM(CASE WHEN saved_routed_nanos + saved_degraded_nanos > 0 AND served_model IS NOT NULL AND served_model <> COALESCE(requested_model, '') THEN 1 ELSE 0 END)",
    }.Concat(SavingsLevers.All.Select(l => $"SUM({SavedColumn(l)})"))
     // A lever applies when the comma list names it (names hold no comma, '%' or '_').
     .Concat(SavingsLevers.All.Select(l => $"SUM(CASE WHEN (',' || savings_levers || ',') LIKE '%,{l},%' THEN 1 ELSE 0 END)")));

    /// <summary>Builds a coarser rollup from a finer one (daily from hourly, org from person-level): far fewer rows to read than the ledger.</summary>
    private static string Derive(Spec target, Spec source, bool savings)
    {
        var dims = target.Dims.Split(", ");
        var measures = savings ? Measures : BaseMeasures;
        return $"""
        INSERT INTO {target.Table} (bucket, {target.Dims}, {measures})
        SELECT {target.FromFinerBucket}, {target.Dims}, {string.Join(", ", measures.Split(", ").Select(m => $"SUM({m})"))}
        FROM {source.Table} WHERE true GROUP BY {string.Join(", ", Enumerable.Range(1, dims.Length + 1))}
        ON CONFLICT (bucket, {target.Dims}) DO UPDATE SET {UpdateSetOf(measures)};

        """;
    }

    /// <summary>Fills every (empty) rollup table from the ledger: one pass over the ledger for the hourly table, the rest derived.</summary>
    private static string BackfillAll(bool savings) => Backfill(Specs[0], savings) + Derive(Specs[1], Specs[0], savings) +
        Derive(Specs[2], Specs[0], savings) + Derive(Specs[3], Specs[1], savings);

    /// <summary>Months derived from days (a month is a whole number of days, so the sums are the same).</summary>
    private static string DeriveMonthly(bool savings) => Derive(MonthlySpecs[0], Specs[1], savings) + Derive(MonthlySpecs[1], Specs[3], savings);

    /// <summary>Migration step 0600: the monthly tables, backfilled from the daily ones (not from the ledger: far fewer rows).</summary>
    internal static string MonthlyMigrationSql => string.Concat(MonthlySpecs.Select(CreateTable)) + DeriveMonthly(savings: false);

    /// <summary>Weeks derived from days.</summary>
    private static string DeriveWeekly(bool savings) => Derive(WeeklySpecs[0], Specs[1], savings) + Derive(WeeklySpecs[1], Specs[3], savings);

    /// <summary>Migration step 0610: the weekly tables, backfilled from the daily ones.</summary>
    internal static string WeeklyMigrationSql => string.Concat(WeeklySpecs.Select(CreateTable)) + DeriveWeekly(savings: false);

    /// <summary>Migration step 0630: days by model and provider, backfilled from the organisation's daily rollup.</summary>
    internal static string DailyModelMigrationSql => CreateTable(DailyModelSpecs[0]) + Derive(DailyModelSpecs[0], Specs[3], savings: false);

    /// <summary>
    /// Migration step 1010 (SQLite and PostgreSQL): the savings measures on every rollup table, at 0, then filled from the
    /// ledger rows a lever applied to (through the partial index ledger_savings; their cells already exist, so only the
    /// savings columns are set). <paramref name="postgres"/> picks the column type and the week of a day.
    /// </summary>
    internal static string SavingsMigrationSql(bool postgres) => AddMeasureColumns(SavingsMeasureNames, postgres) + SavingsBackfillSql(postgres);

    /// <summary>Sets every rollup cell's savings measures from the ledger rows that have a lever (step 1010's fill; idempotent).</summary>
    public static string SavingsBackfillSql(bool postgres) =>
        SetMeasuresFromLedger(BaseMeasures, SavingsMeasureNames, SavingsSums, "savings_levers IS NOT NULL", postgres);

    /// <summary>
    /// Migration step 1620 (SQLite and PostgreSQL): the priced-unit measures on every rollup table, at 0, then filled from
    /// the ledger rows that have any (their cells already exist, so only these columns are set).
    /// </summary>
    internal static string UnitsMigrationSql(bool postgres) => AddMeasureColumns(UnitMeasureNames, postgres) + UnitsBackfillSql(postgres);

    /// <summary>The fill of step 1620 alone: sets (never adds) the unit measures of the cells of ledger rows that have any.</summary>
    public static string UnitsBackfillSql(bool postgres) =>
        SetMeasuresFromLedger(BaseMeasures + ", " + SavingsMeasures, UnitMeasureNames, UnitSums,
            "tool_call_nanos <> 0 OR audio_input_nanos <> 0 OR audio_output_nanos <> 0 OR audio_second_nanos <> 0 " +
            "OR character_nanos <> 0 OR image_input_nanos <> 0 OR image_output_nanos <> 0 OR image_nanos <> 0", postgres);

    /// <summary>Adds measure columns at 0 to every rollup table (a later migration step's first half).</summary>
    private static string AddMeasureColumns(IEnumerable<string> names, bool postgres) => string.Concat(
        from t in AllSpecs
        from m in names
        select postgres ? $"ALTER TABLE {t.Table} ADD COLUMN IF NOT EXISTS {m} bigint NOT NULL DEFAULT 0;\n" : $"ALTER TABLE {t.Table} ADD COLUMN {m} INTEGER NOT NULL DEFAULT 0;\n");

    /// <summary>
    /// Sets (never adds) <paramref name="names"/> in every rollup cell from the ledger rows matching <paramref name="where"/>
    /// (<paramref name="sums"/> in the same order); a cell that does not exist yet is made with <paramref name="earlier"/>
    /// at 0. <paramref name="postgres"/> picks the week of a day.
    /// </summary>
    private static string SetMeasuresFromLedger(string earlier, string[] names, string sums, string where, bool postgres)
    {
        var sql = new System.Text.StringBuilder();
        var zeros = string.Join(", ", earlier.Split(", ").Select(_ => "0"));
        foreach (var t in AllSpecs)
        {
            var dims = t.Dims.Split(", ");
            var bucket = !t.Weekly ? $"substr(started_at, 1, {t.BucketLength})"
                : postgres ? "to_char(date_trunc('week', substr(started_at, 1, 10)::timestamp), 'YYYY-MM-DD')"
                : "date(substr(started_at, 1, 10), '-6 days', 'weekday 1')";
            sql.Append($"""
            INSERT INTO {t.Table} (bucket, {t.Dims}, {earlier}, {string.Join(", ", names)})
            SELECT {bucket}, {string.Join(", ", dims.Select(d => SourceOf[d]))}, {zeros}, {sums}
            FROM ledger WHERE {where} GROUP BY {string.Join(", ", Enumerable.Range(1, dims.Length + 1))}
            ON CONFLICT (bucket, {t.Dims}) DO UPDATE SET {string.Join(", ", names.Select(m => $"{m} = excluded.{m}"))};

            """);
        }
        return sql.ToString();
    }

    private static string UpdateSetOf(string measures) => string.Join(", ", measures.Split(", ").Select(m => $"{m} = {m} + excluded.{m}"));

    internal static readonly string UpdateSet = UpdateSetOf(Measures);

    /// <summary>The full schema step: tables, plus a backfill of whatever the ledger already holds.</summary>
    internal static string MigrationSql =>
        string.Concat(Specs.Select(CreateTable)) + BackfillAll(savings: false) +
        // The savings page finds degraded requests without a scan; the explorer filters by model over time.
        "CREATE INDEX IF NOT EXISTS ledger_degraded ON ledger(started_at) WHERE budget_action LIKE 'degraded%';\n" +
        "CREATE INDEX IF NOT EXISTS ledger_model ON ledger(served_model, started_at);\n" +
        // Failures are a few percent of rows: the explorer's status filter walks only them.
        "CREATE INDEX IF NOT EXISTS ledger_errors ON ledger(started_at) WHERE outcome <> 'Ok';\n" +
        "CREATE INDEX IF NOT EXISTS ledger_team_errors ON ledger(team, started_at) WHERE outcome <> 'Ok';\n";

    /// <summary>Rebuilds every rollup table from the ledger (for bulk loads that bypass <see cref="Apply"/>).</summary>
    public static void Rebuild(SqliteConnection connection)
    {
        using var tx = connection.BeginTransaction();
        using var cmd = connection.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = string.Concat(AllSpecs.Select(t => $"DELETE FROM {t.Table};")) + BackfillAll(savings: true) + DeriveMonthly(savings: true) +
            DeriveWeekly(savings: true) + Derive(DailyModelSpecs[0], Specs[3], savings: true);
        cmd.CommandTimeout = 0;
        cmd.ExecuteNonQuery();
        tx.Commit();
    }

    /// <summary>Adds the inserted rows to every rollup, inside the caller's transaction.</summary>
    public static void Apply(SqliteConnection connection, SqliteTransaction tx, IReadOnlyList<LedgerEntry> inserted)
    {
        using var upserts = new Upserts(connection);
        Apply(upserts, tx, inserted, +1);
    }

    /// <summary>The same with upserts prepared once on a long-lived connection (the ledger writer's).</summary>
    internal static void Apply(Upserts upserts, SqliteTransaction tx, IReadOnlyList<LedgerEntry> inserted) => Apply(upserts, tx, inserted, +1);

    /// <summary>Takes rows back out of every rollup (an import replacing a row with a grown copy retracts the old one first).</summary>
    public static void Retract(SqliteConnection connection, SqliteTransaction tx, IReadOnlyList<LedgerEntry> replaced)
    {
        using var upserts = new Upserts(connection);
        Apply(upserts, tx, replaced, -1);
    }

    private static void Apply(Upserts upserts, SqliteTransaction tx, IReadOnlyList<LedgerEntry> inserted, int sign)
    {
        foreach (var (spec, map) in Aggregate(inserted, sign)) Upsert(upserts.For(spec, tx), map);
    }

    /// <summary>
    /// The batch's cells for each rollup table, one per distinct key (backend-neutral: the SQLite and PostgreSQL ledger
    /// stores both upsert these). Tables the batch does not touch are left out.
    /// </summary>
    internal static IEnumerable<(Spec Spec, Dictionary<Key, Sums> Cells)> Aggregate(IReadOnlyList<LedgerEntry> inserted, int sign)
    {
        if (inserted.Count == 0) yield break;
        // One pass over the rows at the finest grain (the hour and every dimension); each table's cells are then derived
        // from those few cells. Keying every row again for each of the eleven tables (a formatted bucket string and an
        // eight-string key per row and table) was most of the cost of keeping the rollups.
        var cells = new Dictionary<Cell, Sums>();
        foreach (var e in inserted)
        {
            var utc = e.StartedAt.UtcDateTime;
            var cell = new Cell(new DateTime(utc.Year, utc.Month, utc.Day, utc.Hour, 0, 0, DateTimeKind.Utc),
                e.Person ?? "", e.Team ?? "", e.Project ?? "", e.Feature ?? "", e.ServedModel ?? e.RequestedModel ?? "", e.Provider ?? "", e.Outcome);
            cells.TryGetValue(cell, out var sums);
            sums.Add(e, sign);
            cells[cell] = sums;
        }
        foreach (var spec in AllSpecs)
        {
            // Dimensions the table does not have are left out of the key: one upsert per row of the table.
            string Dim(string name, string value) => spec.DimSet.Contains(name) ? value : "";
            var map = new Dictionary<Key, Sums>();
            foreach (var (c, sums) in cells)
            {
                var key = new Key(spec.BucketOf(c.Hour), Dim("person", c.Person), Dim("team", c.Team), Dim("project", c.Project),
                    Dim("feature", c.Feature), Dim("model", c.Model), Dim("provider", c.Provider), Dim("outcome", c.Outcome.Name()));
                map.TryGetValue(key, out var total);
                total.Add(sums);
                map[key] = total;
            }
            if (map.Count > 0) yield return (spec, map);
        }
    }

    /// <summary>Every rollup table kept by <see cref="Apply"/>, in the order it writes them.</summary>
    internal static IReadOnlyList<Spec> Tables => AllSpecs;

    /// <summary>
    /// The upsert of each rollup table, prepared on first use and kept for the connection's life: the ledger writer
    /// keeps one connection, so at a few requests a second (a batch of one or two rows) it no longer parses and
    /// prepares eleven statements per batch.
    /// </summary>
    internal sealed class Upserts(SqliteConnection connection) : IDisposable
    {
        private readonly Dictionary<string, (SqliteCommand Command, Dictionary<string, SqliteParameter> Parameters)> _byTable = new(StringComparer.Ordinal);

        internal (SqliteCommand Command, Dictionary<string, SqliteParameter> Parameters) For(Spec spec, SqliteTransaction tx)
        {
            if (!_byTable.TryGetValue(spec.Table, out var prepared))
            {
                var cmd = connection.CreateCommand();
                var dims = spec.Dims.Split(", ");
                var measures = Measures.Split(", ");
                cmd.CommandText = $"INSERT INTO {spec.Table} (bucket, {spec.Dims}, {Measures}) VALUES ($bucket, " +
                    string.Join(", ", dims.Select(d => "$" + d)) + ", " + string.Join(", ", measures.Select(m => "$" + m)) +
                    $") ON CONFLICT (bucket, {spec.Dims}) DO UPDATE SET {UpdateSet};";
                var p = new[] { "bucket" }.Concat(dims).Concat(measures).ToDictionary(n => n, n => cmd.Parameters.Add(new SqliteParameter("$" + n, null)));
                cmd.Transaction = tx;
                cmd.Prepare();
                prepared = (cmd, p);
                _byTable[spec.Table] = prepared;
            }
            prepared.Command.Transaction = tx;
            return prepared;
        }

        public void Dispose()
        {
            foreach (var (command, _) in _byTable.Values) command.Dispose();
            _byTable.Clear();
        }
    }

    private static void Upsert((SqliteCommand Command, Dictionary<string, SqliteParameter> Parameters) prepared, Dictionary<Key, Sums> map)
    {
        var (cmd, p) = prepared;
        void Dim(string name, string value) { if (p.TryGetValue(name, out var param)) param.Value = value; }
        foreach (var (k, s) in map)
        {
            p["bucket"].Value = k.Bucket; Dim("person", k.Person); Dim("team", k.Team); Dim("project", k.Project);
            Dim("feature", k.Feature); Dim("model", k.Model); Dim("provider", k.Provider); Dim("outcome", k.Outcome);
            p["requests"].Value = s.Requests; p["uncached_input_tokens"].Value = s.UncachedInput; p["cache_read_tokens"].Value = s.CacheRead;
            p["cache_write_5m_tokens"].Value = s.CacheWrite5m; p["cache_write_1h_tokens"].Value = s.CacheWrite1h;
            p["output_tokens"].Value = s.Output; p["reasoning_tokens"].Value = s.Reasoning; p["cost_nanos"].Value = s.CostNanos;
            p["cache_read_nanos"].Value = s.CacheReadNanos; p["cache_hit_requests"].Value = s.CacheHits;
            p["degraded_requests"].Value = s.Degraded; p["error_requests"].Value = s.Errors;
            var values = s.SavingsValues();
            for (var i = 0; i < SavingsMeasureNames.Length; i++) p[SavingsMeasureNames[i]].Value = values[i];
            p["tool_call_nanos"].Value = s.ToolCallNanos; p["audio_nanos"].Value = s.AudioNanos; p["image_nanos"].Value = s.ImageNanos;
            cmd.ExecuteNonQuery();
        }
    }

    internal readonly record struct Key(string Bucket, string Person, string Team, string Project, string Feature, string Model, string Provider, string Outcome);

    /// <summary>The finest grain of a batch: an hour (a value, no string yet) and every dimension.</summary>
    private readonly record struct Cell(DateTime Hour, string Person, string Team, string Project, string Feature, string Model, string Provider, LedgerOutcome Outcome);

    /// <summary>One value per lever, in <see cref="SavingsLevers.All"/> order (a value type: copies do not share it).</summary>
    [InlineArray(6)]
    internal struct PerLever
    {
        private long _first;
    }

    internal struct Sums
    {
        public long Requests, UncachedInput, CacheRead, CacheWrite5m, CacheWrite1h, Output, Reasoning, CostNanos, CacheReadNanos, CacheHits, Degraded, Errors;
        public long Levered, Moved;
        public PerLever Saved, Applied;
        public long ToolCallNanos, AudioNanos, ImageNanos;

        /// <summary>The savings measures in <see cref="SavingsMeasureNames"/> order.</summary>
        public readonly long[] SavingsValues()
        {
            var v = new long[SavingsMeasureNames.Length];
            v[0] = Levered;
            v[1] = Moved;
            for (var i = 0; i < 6; i++)
            {
                v[2 + i] = Saved[i];
                v[8 + i] = Applied[i];
            }
            return v;
        }

        public void Add(LedgerEntry e, int sign)
        {
            var u = e.Usage;
            Requests += sign;
            UncachedInput += sign * u.UncachedInput;
            CacheRead += sign * u.CacheRead;
            CacheWrite5m += sign * u.CacheWrite5m;
            CacheWrite1h += sign * u.CacheWrite1h;
            Output += sign * u.Output;
            Reasoning += sign * u.Reasoning;
            CostNanos += sign * e.CostNanos;
            CacheReadNanos += sign * Core.Pricing.NanoUsd.FromUsd(e.Cost.CacheRead);
            if (u.CacheRead > 0) CacheHits += sign;
            if (e.BudgetAction?.StartsWith("degraded", StringComparison.Ordinal) == true) Degraded += sign;
            if (e.Outcome != LedgerOutcome.Ok) Errors += sign;
            if (e.Levers is not null || !e.Savings.IsZero) AddSavings(e, sign);
            // Each bucket as the ledger stores it (its own rounding), so the rollups add up to the ledger's columns.
            var c = e.Cost;
            ToolCallNanos += sign * Core.Pricing.NanoUsd.FromUsd(c.ToolCalls);
            AudioNanos += sign * (Core.Pricing.NanoUsd.FromUsd(c.AudioInput) + Core.Pricing.NanoUsd.FromUsd(c.AudioOutput)
                + Core.Pricing.NanoUsd.FromUsd(c.AudioSeconds) + Core.Pricing.NanoUsd.FromUsd(c.Characters));
            ImageNanos += sign * (Core.Pricing.NanoUsd.FromUsd(c.ImageInput) + Core.Pricing.NanoUsd.FromUsd(c.ImageOutput) + Core.Pricing.NanoUsd.FromUsd(c.Images));
        }

        private void AddSavings(LedgerEntry e, int sign)
        {
            if (e.Levers is not null) Levered += sign;
            if (CheaperModel.Moved(e)) Moved += sign;
            var levers = SavingsLevers.All;
            for (var i = 0; i < levers.Count; i++)
            {
                Saved[i] += sign * e.Savings.NanosOf(levers[i]);
                if (SavingsLevers.Applies(e.Levers, levers[i])) Applied[i] += sign;
            }
        }

        public void Add(Sums o)
        {
            Requests += o.Requests; UncachedInput += o.UncachedInput; CacheRead += o.CacheRead; CacheWrite5m += o.CacheWrite5m;
            CacheWrite1h += o.CacheWrite1h; Output += o.Output; Reasoning += o.Reasoning; CostNanos += o.CostNanos;
            CacheReadNanos += o.CacheReadNanos; CacheHits += o.CacheHits; Degraded += o.Degraded; Errors += o.Errors;
            Levered += o.Levered; Moved += o.Moved;
            ToolCallNanos += o.ToolCallNanos; AudioNanos += o.AudioNanos; ImageNanos += o.ImageNanos;
            for (var i = 0; i < 6; i++)
            {
                Saved[i] += o.Saved[i];
                Applied[i] += o.Applied[i];
            }
        }
    }
}
