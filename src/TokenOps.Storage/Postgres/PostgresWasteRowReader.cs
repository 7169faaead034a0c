using System.Data.Common;
using TokenOps.Storage.Sql;

namespace TokenOps.Storage.Postgres;

/// <summary>The waste detectors' row reader (<see cref="SqlWasteRowReader"/>) on PostgreSQL.</summary>
public sealed class PostgresWasteRowReader(PostgresDatabase database) : SqlWasteRowReader
{
    protected override DbConnection Open() => database.Open();
}
