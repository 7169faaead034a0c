using TokenOps.TestServers;
using TokenOps.Core.Ledger;
using TokenOps.Storage.Postgres;
using TokenOps.Storage.Tests.Alerts;
using TokenOps.Storage.Tests.Outcomes;

namespace TokenOps.Storage.Tests.Postgres;

// The outcome, spend and alert suites again, on databases whose default collation is ICU en-US (linguistic order,
// case folding beyond ASCII): ties must still come in byte order and the person filter fold ASCII only, as SQLite's.

[Collection(PostgresCollection.Name)]
public sealed class PostgresOutcomeStoreOnIcuTests : OutcomeStoreConformanceTests, IDisposable
{
    private readonly PostgresDatabase _database;

    public PostgresOutcomeStoreOnIcuTests(PostgresServer server)
    {
        _database = new PostgresDatabase(server.Database(nameof(PostgresOutcomeStoreOnIcuTests), icuLocale: "en-US"));
        Store = new PostgresOutcomeStore(_database, TimeProvider.System);
    }

    protected override IOutcomeStore Store { get; }

    public void Dispose() => _database.Dispose();
}

[Collection(PostgresCollection.Name)]
public sealed class PostgresSpendReaderOnIcuTests : SpendReaderConformanceTests, IDisposable
{
    private readonly PostgresDatabase _database;

    public PostgresSpendReaderOnIcuTests(PostgresServer server)
    {
        _database = new PostgresDatabase(server.Database(nameof(PostgresSpendReaderOnIcuTests), icuLocale: "en-US"));
        Reader = new PostgresSpendReader(_database);
        Ledger = new PostgresLedgerStore(_database);
    }

    protected override ISpendReader Reader { get; }

    protected override ILedgerStore Ledger { get; }

    public void Dispose() => _database.Dispose();
}

/// <summary>A new ICU database per test (a unique name each time).</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresAlertStoreOnIcuTests : AlertStoreConformanceTests, IDisposable
{
    private readonly PostgresDatabase _database;

    public PostgresAlertStoreOnIcuTests(PostgresServer server)
    {
        _database = new PostgresDatabase(server.Database("alerts_icu_" + Guid.NewGuid().ToString("N")[..8], icuLocale: "en-US"));
        Store = new PostgresAlertStore(_database);
    }

    protected override IAlertStore Store { get; }

    public void Dispose() => _database.Dispose();
}
