using TokenOps.TestServers;
using TokenOps.Core.Ledger;
using TokenOps.Storage.Postgres;
using TokenOps.Storage.Tests.Budgets;

namespace TokenOps.Storage.Tests.Postgres;

/// <summary>
/// The budget store conformance suite again, on a database whose default collation is ICU en-US (linguistic): budgets
/// must still list in byte order of their ids, as SQLite's, whatever the database's locale.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresBudgetStoreOnIcuTests : BudgetStoreConformanceTests, IDisposable
{
    private readonly PostgresDatabase _database;

    public PostgresBudgetStoreOnIcuTests(PostgresServer server)
    {
        _database = new PostgresDatabase(server.Database(nameof(PostgresBudgetStoreOnIcuTests), icuLocale: "en-US"));
        Ledger = new PostgresLedgerStore(_database);
    }

    protected override IBudgetStore CreateStore(TimeProvider time) => new PostgresBudgetStore(_database, time);

    protected override ILedgerStore Ledger { get; }

    public void Dispose() => _database.Dispose();
}
