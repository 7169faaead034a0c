using System.Data.Common;
using TokenOps.Storage.Sql;

namespace TokenOps.Storage.Sqlite;

/// <summary>The waste detectors' row reader (<see cref="SqlWasteRowReader"/>) on the SQLite file.</summary>
public sealed class SqliteWasteRowReader(SqliteDatabase database) : SqlWasteRowReader
{
    protected override DbConnection Open() => database.Open();
}
