using System.Data.Common;
using Npgsql;
using TokenOps.Storage.Sql;

namespace TokenOps.Storage.Postgres;

/// <summary>Ledger retention in PostgreSQL: a session advisory lock makes one replica export and purge at a time.</summary>
public sealed class PostgresLedgerRetention(PostgresDatabase database) : SqlLedgerRetention
{
    private const long PurgeLock = 0x546F6B5265746E; // "TokRetn"

    protected override DbConnection Open() => database.Open();

    public override IDisposable? TryLock()
    {
        var connection = database.Open();
        using var command = new NpgsqlCommand($"SELECT pg_try_advisory_lock({PurgeLock})", connection);
        if (command.ExecuteScalar() is true) return new Held(connection);
        connection.Dispose();
        return null;
    }

    /// <summary>Unlocks explicitly: a pooled connection's session outlives its Dispose, and with it a session lock.</summary>
    private sealed class Held(NpgsqlConnection connection) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) != 0) return;
            try
            {
                using var unlock = new NpgsqlCommand($"SELECT pg_advisory_unlock({PurgeLock})", connection);
                unlock.ExecuteNonQuery();
            }
            finally
            {
                connection.Dispose();
            }
        }
    }
}
