using System.Data.Common;
using System.Text;
using Microsoft.Data.Sqlite;
using SQLitePCL;
using TokenOps.Core.Planning;
using TokenOps.Storage.Sql;

namespace TokenOps.Storage.Sqlite;

/// <summary>
/// Planning reads (<see cref="SqlPlanningQueries"/>) on the SQLite file. SQLite groups by sorting every row, which cost
/// more than the scan itself on a million rows, so the what-if streams the needed columns through SQLite's own API
/// (ADO.NET's per-column checks were most of the remaining time), one slice of the table per core, and sums the cells
/// here (<see cref="WhatIfCellSums"/>). A slice is at least <c>rowsPerSlice</c> rowids (a thread costs more than it
/// saves on fewer).
/// </summary>
public sealed class SqlitePlanningQueries(SqliteDatabase database, long rowsPerSlice = 200_000) : SqlPlanningQueries(SqlDialect.Sqlite)
{
    protected override DbConnection Open() => database.Open();

    public override IReadOnlyList<WhatIfCell> WhatIfCells(WhatIfQuery q)
    {
        string hint;
        long first, last;
        using (var connection = database.Open())
        {
            (hint, first, last) = Plan(connection, q);
        }
        var sql = StreamSql(hint, q);
        if (hint.Length == 0) return Slice(sql, q, long.MinValue, long.MaxValue).Cells();
        var slices = (int)Math.Clamp((last - first + 1) / Math.Max(1, rowsPerSlice), 1, Math.Max(1, Environment.ProcessorCount));
        var step = (last - first + slices) / slices;
        var parts = new WhatIfCellSums[slices];
        Parallel.For(0, slices, new ParallelOptions { MaxDegreeOfParallelism = slices }, i =>
            parts[i] = Slice(sql, q, first + i * step, i == slices - 1 ? last : first + (i + 1) * step - 1));
        for (var i = 1; i < slices; i++) parts[0].Merge(parts[i]);
        return parts[0].Cells();
    }

    /// <summary>One slice of the table (rowids from..to), on its own connection.</summary>
    private WhatIfCellSums Slice(string sql, WhatIfQuery q, long from, long to)
    {
        using var connection = database.Open();
        var db = connection.Handle!;
        Check(db, raw.sqlite3_prepare_v2(db, sql, out var statement));
        try
        {
            Check(db, raw.sqlite3_bind_text(statement, 1, StoredRows.Time(q.From)));
            Check(db, raw.sqlite3_bind_text(statement, 2, StoredRows.Time(q.Until)));
            if (q.Team is not null) Check(db, raw.sqlite3_bind_text(statement, 3, q.Team));
            if (q.Model is not null) Check(db, raw.sqlite3_bind_text(statement, 4, q.Model));
            Check(db, raw.sqlite3_bind_int64(statement, 5, from));
            Check(db, raw.sqlite3_bind_int64(statement, 6, to));
            var sums = new WhatIfCellSums(q);
            var key = new char[256];
            int rc;
            while ((rc = raw.sqlite3_step(statement)) == raw.SQLITE_ROW)
            {
                // The cell key "team␟model␟lane", decoded into a reused buffer: no string per row.
                var team = raw.sqlite3_column_blob(statement, 0);
                var model = raw.sqlite3_column_blob(statement, 1);
                var lane = raw.sqlite3_column_blob(statement, 2);
                var need = team.Length + model.Length + lane.Length + 4;
                if (key.Length < need) key = new char[need * 2];
                var length = Encoding.UTF8.GetChars(team, key);
                key[length++] = WhatIfCellSums.Separator;
                length += Encoding.UTF8.GetChars(model, key.AsSpan(length));
                key[length++] = WhatIfCellSums.Separator;
                length += Encoding.UTF8.GetChars(lane, key.AsSpan(length));
                var reasoning = raw.sqlite3_column_int64(statement, 8);
                var cell = sums.Add(key, length, raw.sqlite3_column_int64(statement, 3), raw.sqlite3_column_int64(statement, 4),
                    raw.sqlite3_column_int64(statement, 5), raw.sqlite3_column_int64(statement, 6), raw.sqlite3_column_int64(statement, 7), reasoning,
                    raw.sqlite3_column_int64(statement, 9), raw.sqlite3_column_int64(statement, 10), raw.sqlite3_column_int64(statement, 11), out var opened);
                if (opened) cell.Example = raw.sqlite3_column_text(statement, 12).utf8_to_string();
                if (reasoning > 0 && cell.ReasoningExample is null) cell.ReasoningExample = raw.sqlite3_column_text(statement, 12).utf8_to_string();
            }
            if (rc != raw.SQLITE_DONE) Check(db, rc);
            return sums;
        }
        finally
        {
            raw.sqlite3_finalize(statement);
        }
    }

    private static void Check(sqlite3 db, int rc)
    {
        if (rc != raw.SQLITE_OK && rc != raw.SQLITE_DONE && rc != raw.SQLITE_ROW) SqliteException.ThrowExceptionForRC(rc, db);
    }

    /// <summary>
    /// How to read the range: a range covering much of the ledger reads faster as table scans (here, of rowid slices)
    /// than through the started_at index (a table lookup per row, in no page order); a narrow one through the index, in
    /// one slice. The ledger's time span and rowid span are index probes.
    /// </summary>
    private static (string Hint, long First, long Last) Plan(SqliteConnection connection, WhatIfQuery q)
    {
        using var span = connection.CreateCommand();
        span.CommandText = "SELECT MIN(started_at), MAX(started_at), MIN(rowid), MAX(rowid) FROM ledger;";
        using var r = span.ExecuteReader();
        if (!r.Read() || r.IsDBNull(0)) return ("", 0, 0);
        var first = StoredRows.ParseTime(r.GetString(0));
        var last = StoredRows.ParseTime(r.GetString(1));
        var from = q.From > first ? q.From : first;
        var until = q.Until < last ? q.Until : last;
        var covered = (until - from).Ticks / (double)Math.Max(1, (last - first).Ticks);
        return covered > 0.25 ? (" NOT INDEXED", r.GetInt64(2), r.GetInt64(3)) : ("", 0, 0);
    }
}
