using System.Data.Common;
using Npgsql;
using TokenOps.Storage.Sql;

namespace TokenOps.Storage.Postgres;

/// <summary>Dashboard sessions (<see cref="SqlSessionStore"/>) in PostgreSQL; sign-ins serialise on an advisory lock.</summary>
public sealed class PostgresSessionStore(PostgresDatabase database) : SqlSessionStore
{
    /// <summary>Any fixed key: this lock guards nothing but the bounded insert of a session.</summary>
    private const long SignInLock = 0x546F6B656E53; // "TokenS"

    protected override DbConnection Open() => database.Open();

    protected override DbTransaction BeginExclusive(DbConnection connection)
    {
        var tx = ((NpgsqlConnection)connection).BeginTransaction();
        using var lockCommand = new NpgsqlCommand($"SELECT pg_advisory_xact_lock({SignInLock})", (NpgsqlConnection)connection, tx);
        lockCommand.ExecuteNonQuery();
        return tx;
    }
}
