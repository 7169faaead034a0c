using System.Data.Common;
using TokenOps.Storage.Sql;

namespace TokenOps.Storage.Postgres;

/// <summary>Forecast and poker reads (<see cref="SqlSpendQueries"/>) on PostgreSQL.</summary>
public sealed class PostgresSpendQueries(PostgresDatabase database) : SqlSpendQueries(SqlDialect.Postgres, new PostgresRollupQueries(database))
{
    protected override DbConnection Open() => database.Open();
}
