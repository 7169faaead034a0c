using System.Data.Common;
using TokenOps.Storage.Sql;

namespace TokenOps.Storage.Postgres;

/// <summary>The report's usage reader (<see cref="SqlUsageReader"/>) on PostgreSQL.</summary>
public sealed class PostgresUsageReader(PostgresDatabase database) : SqlUsageReader
{
    protected override DbConnection Open() => database.Open();
}
