using TokenOps.TestServers;
using System.Data.Common;
using TokenOps.Core.Ledger;
using TokenOps.Storage.Postgres;
using TokenOps.Storage.Tests.Ledger;

namespace TokenOps.Storage.Tests.Postgres;

/// <summary>The ledger conformance suite on the throwaway PostgreSQL server, in this class's own database.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresLedgerStoreTests : LedgerStoreConformanceTests, IDisposable
{
    private readonly PostgresDatabase _database;
    private readonly PostgresLedgerStore _store;

    public PostgresLedgerStoreTests(PostgresServer server)
    {
        _database = new PostgresDatabase(server.Database(nameof(PostgresLedgerStoreTests)));
        _store = new PostgresLedgerStore(_database);
    }

    protected override ILedgerStore Store => _store;

    protected override int Merge(IReadOnlyList<LedgerEntry> entries) => _store.Merge(entries);

    protected override DbConnection OpenConnection() => _database.Open();

    public void Dispose() => _database.Dispose();
}
