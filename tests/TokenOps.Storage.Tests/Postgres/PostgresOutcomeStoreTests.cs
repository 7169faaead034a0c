using TokenOps.TestServers;
using TokenOps.Core.Ledger;
using TokenOps.Storage.Postgres;
using TokenOps.Storage.Tests.Outcomes;

namespace TokenOps.Storage.Tests.Postgres;

/// <summary>The outcome store conformance suite on the throwaway PostgreSQL server, in this class's own database.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresOutcomeStoreTests : OutcomeStoreConformanceTests, IDisposable
{
    private readonly PostgresDatabase _database;

    public PostgresOutcomeStoreTests(PostgresServer server)
    {
        _database = new PostgresDatabase(server.Database(nameof(PostgresOutcomeStoreTests)));
        Store = new PostgresOutcomeStore(_database, TimeProvider.System);
    }

    protected override IOutcomeStore Store { get; }

    public void Dispose() => _database.Dispose();
}

/// <summary>The spend reader conformance suite on PostgreSQL, the rows written by <see cref="PostgresLedgerStore"/>, in this class's own database.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresSpendReaderTests : SpendReaderConformanceTests, IDisposable
{
    private readonly PostgresDatabase _database;

    public PostgresSpendReaderTests(PostgresServer server)
    {
        _database = new PostgresDatabase(server.Database(nameof(PostgresSpendReaderTests)));
        Reader = new PostgresSpendReader(_database);
        Ledger = new PostgresLedgerStore(_database);
    }

    protected override ISpendReader Reader { get; }

    protected override ILedgerStore Ledger { get; }

    public void Dispose() => _database.Dispose();
}
