using System.Data.Common;
using TokenOps.Storage.Sql;

namespace TokenOps.Storage.Postgres;

/// <summary>The semantic cache's index entries (<see cref="SqlSemanticIndexStore"/>) in PostgreSQL, shared by the fleet.</summary>
public sealed class PostgresSemanticIndexStore(PostgresDatabase database) : SqlSemanticIndexStore
{
    protected override DbConnection Open() => database.Open();
}
