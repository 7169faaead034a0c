using System.Data.Common;
using TokenOps.Core.Ledger;
using TokenOps.Storage.Sqlite;
using TokenOps.Storage.Tests.Retention;

namespace TokenOps.Storage.Tests.Sqlite;

/// <summary>The retention suite on a real SQLite file, a fresh one per test.</summary>
public sealed class SqliteLedgerRetentionTests : LedgerRetentionConformanceTests, IDisposable
{
    private readonly SqliteStoreFixture _fixture = new();
    private SqliteLedgerRetention? _retention;

    protected override ILedgerStore Ledger => _fixture.Ledger;
    protected override ILedgerRetention Retention => _retention ??= new SqliteLedgerRetention(_fixture.Database);
    protected override DbConnection OpenConnection() => _fixture.Database.Open();

    public void Dispose() => _fixture.Dispose();
}
