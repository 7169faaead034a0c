using System.Data.Common;
using TokenOps.Storage.Sql;

namespace TokenOps.Storage.Postgres;

/// <summary>Planning reads (<see cref="SqlPlanningQueries"/>) on PostgreSQL.</summary>
public sealed class PostgresPlanningQueries(PostgresDatabase database) : SqlPlanningQueries(SqlDialect.Postgres)
{
    protected override DbConnection Open() => database.Open();
}
