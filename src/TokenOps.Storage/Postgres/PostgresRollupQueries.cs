using System.Data.Common;
using TokenOps.Storage.Sql;

namespace TokenOps.Storage.Postgres;

/// <summary>The rollup reads (<see cref="SqlRollupQueries"/>) on PostgreSQL.</summary>
public sealed class PostgresRollupQueries(PostgresDatabase database) : SqlRollupQueries(SqlDialect.Postgres)
{
    protected override DbConnection Open() => database.Open();
}
