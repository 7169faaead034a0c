using System.Data.Common;
using Npgsql;
using TokenOps.Storage.Sql;

namespace TokenOps.Storage.Postgres;

/// <summary>The response cache (<see cref="SqlResponseCacheStore"/>) in PostgreSQL; stores serialise on an advisory lock.</summary>
public sealed class PostgresResponseCacheStore(PostgresDatabase database) : SqlResponseCacheStore
{
    /// <summary>Any fixed key: this lock guards nothing but a store and its eviction.</summary>
    private const long StoreLock = 0x546F6B656E43; // "TokenC"

    protected override DbConnection Open() => database.Open();

    protected override DbTransaction BeginExclusive(DbConnection connection)
    {
        var tx = ((NpgsqlConnection)connection).BeginTransaction();
        using var lockCommand = new NpgsqlCommand($"SELECT pg_advisory_xact_lock({StoreLock})", (NpgsqlConnection)connection, tx);
        lockCommand.ExecuteNonQuery();
        return tx;
    }
}
