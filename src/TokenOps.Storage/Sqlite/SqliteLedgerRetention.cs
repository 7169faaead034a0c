using System.Data.Common;
using TokenOps.Storage.Sql;

namespace TokenOps.Storage.Sqlite;

/// <summary>Ledger retention in the SQLite file: one gateway per file, so the lock is this process's own.</summary>
public sealed class SqliteLedgerRetention(SqliteDatabase database) : SqlLedgerRetention
{
    private readonly SemaphoreSlim _gate = new(1, 1);

    protected override DbConnection Open() => database.Open();

    public override IDisposable? TryLock() => _gate.Wait(0) ? new Release(_gate) : null;

    private sealed class Release(SemaphoreSlim gate) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0) gate.Release();
        }
    }
}
