using System.Data.Common;
using TokenOps.Storage.Sql;

namespace TokenOps.Storage.Postgres;

/// <summary>Batch-lane records (<see cref="SqlBatchStore"/>) in PostgreSQL, shared by every replica.</summary>
public sealed class PostgresBatchStore(PostgresDatabase database) : SqlBatchStore
{
    protected override DbConnection Open() => database.Open();

    protected override (string Prefix, string Suffix) InsertIgnore => ("INSERT INTO", " ON CONFLICT DO NOTHING");
}
