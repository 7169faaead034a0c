using TokenOps.TestServers;
using TokenOps.Core.Ledger;
using TokenOps.Storage.Postgres;
using TokenOps.Storage.Tests.Budgets;

namespace TokenOps.Storage.Tests.Postgres;

/// <summary>The budget store conformance suite on the throwaway PostgreSQL server, in this class's own database.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresBudgetStoreTests : BudgetStoreConformanceTests, IDisposable
{
    private readonly PostgresDatabase _database;

    public PostgresBudgetStoreTests(PostgresServer server)
    {
        _database = new PostgresDatabase(server.Database(nameof(PostgresBudgetStoreTests)));
        Ledger = new PostgresLedgerStore(_database);
    }

    protected override IBudgetStore CreateStore(TimeProvider time) => new PostgresBudgetStore(_database, time);

    protected override ILedgerStore Ledger { get; }

    public void Dispose() => _database.Dispose();
}
