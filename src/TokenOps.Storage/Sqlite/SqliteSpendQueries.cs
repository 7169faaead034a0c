using System.Data.Common;
using TokenOps.Storage.Sql;

namespace TokenOps.Storage.Sqlite;

/// <summary>Forecast and poker reads (<see cref="SqlSpendQueries"/>) on the SQLite file.</summary>
public sealed class SqliteSpendQueries(SqliteDatabase database) : SqlSpendQueries(SqlDialect.Sqlite, new RollupQueries(database))
{
    protected override DbConnection Open() => database.Open();
}
