using System.Data.Common;
using System.Text;
using SQLitePCL;
using TokenOps.Core.Ledger;
using TokenOps.Storage.Sql;

namespace TokenOps.Storage.Sqlite;

/// <summary>
/// The waste detectors' row reader (<see cref="SqlWasteRowReader"/>) on the SQLite file. The same SQL, stepped through
/// SQLite's own API: a million rows are tens of millions of column reads, and Microsoft.Data.Sqlite's checks and
/// string decoding per call were most of <c>tokenops waste</c>'s time. Text columns are decoded into a reused buffer,
/// so a repeated name or a time costs no string.
/// </summary>
public sealed class SqliteWasteRowReader(SqliteDatabase database) : SqlWasteRowReader
{
    protected override DbConnection Open() => database.Open();

    public override IEnumerable<LedgerEntry> Read(DateTimeOffset from, DateTimeOffset to)
    {
        using var connection = database.Open();
        var db = connection.Handle!;
        // Named parameters are numbered in order of appearance: @from is 1, @to is 2.
        Check(db, raw.sqlite3_prepare_v2(db, Sql, out var statement));
        try
        {
            Check(db, raw.sqlite3_bind_text(statement, 1, StoredRows.Time(from)));
            Check(db, raw.sqlite3_bind_text(statement, 2, StoredRows.Time(to)));
            var columns = new RawColumns(statement, new WasteNames(), new char[256]);
            int rc;
            while ((rc = raw.sqlite3_step(statement)) == raw.SQLITE_ROW) yield return Row(ref columns);
            if (rc != raw.SQLITE_DONE) Check(db, rc);
        }
        finally
        {
            raw.sqlite3_finalize(statement);
        }
    }

    private static void Check(sqlite3 db, int rc)
    {
        if (rc != raw.SQLITE_OK && rc != raw.SQLITE_DONE && rc != raw.SQLITE_ROW) Microsoft.Data.Sqlite.SqliteException.ThrowExceptionForRC(rc, db);
    }

    private readonly struct RawColumns(sqlite3_stmt statement, WasteNames names, char[] buffer) : IWasteColumns
    {
        public bool IsNull(int i) => raw.sqlite3_column_type(statement, i) == raw.SQLITE_NULL;
        public long Int64(int i) => raw.sqlite3_column_int64(statement, i);
        public double Double(int i) => raw.sqlite3_column_double(statement, i);
        public string Text(int i) => Encoding.UTF8.GetString(raw.sqlite3_column_blob(statement, i));
        public DateTimeOffset Time(int i) => StoredRows.ParseTimeFast(Chars(i));
        public string? Name(int i) => names.Share(Chars(i));

        /// <summary>The column's text in the reused buffer (a longer one gets its own array).</summary>
        private ReadOnlySpan<char> Chars(int i)
        {
            var bytes = raw.sqlite3_column_blob(statement, i);
            var target = bytes.Length <= buffer.Length ? buffer : new char[bytes.Length];
            return target.AsSpan(0, Encoding.UTF8.GetChars(bytes, target));
        }
    }
}
