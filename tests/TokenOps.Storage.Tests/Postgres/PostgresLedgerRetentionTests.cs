using System.Data.Common;
using TokenOps.Core.Ledger;
using TokenOps.Storage.Postgres;
using TokenOps.Storage.Tests.Retention;
using TokenOps.TestServers;

namespace TokenOps.Storage.Tests.Postgres;

/// <summary>The retention suite on the throwaway PostgreSQL server, a fresh database per test.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresLedgerRetentionTests(PostgresServer server) : LedgerRetentionConformanceTests, IDisposable
{
    private readonly PostgresDatabase _database = new(server.NewDatabase("retention"));
    private PostgresLedgerStore? _ledger;
    private PostgresLedgerRetention? _retention;

    protected override ILedgerStore Ledger => _ledger ??= new PostgresLedgerStore(_database);
    protected override ILedgerRetention Retention => _retention ??= new PostgresLedgerRetention(_database);
    protected override DbConnection OpenConnection() => _database.Open();

    public void Dispose() => _database.Dispose();
}
