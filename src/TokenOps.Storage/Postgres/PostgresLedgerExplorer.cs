using System.Data.Common;
using TokenOps.Storage.Sql;

namespace TokenOps.Storage.Postgres;

/// <summary>The request explorer (<see cref="SqlLedgerExplorer"/>) on PostgreSQL.</summary>
public sealed class PostgresLedgerExplorer(PostgresDatabase database) : SqlLedgerExplorer(SqlDialect.Postgres)
{
    protected override DbConnection Open() => database.Open();
}
