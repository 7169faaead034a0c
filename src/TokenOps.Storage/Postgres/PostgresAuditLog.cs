using System.Data.Common;
using Npgsql;
using TokenOps.Storage.Sql;

namespace TokenOps.Storage.Postgres;

/// <summary>The audit trail (<see cref="SqlAuditLog"/>) in PostgreSQL; appends from every replica serialise on an advisory lock.</summary>
public sealed class PostgresAuditLog(PostgresDatabase database) : SqlAuditLog
{
    private const long AppendLock = 0x546F6B41756474; // "TokAudt"

    protected override DbConnection Open() => database.Open();

    protected override DbTransaction BeginExclusive(DbConnection connection)
    {
        var tx = ((NpgsqlConnection)connection).BeginTransaction();
        using var lockCommand = new NpgsqlCommand($"SELECT pg_advisory_xact_lock({AppendLock})", (NpgsqlConnection)connection, tx);
        lockCommand.ExecuteNonQuery();
        return tx;
    }
}
