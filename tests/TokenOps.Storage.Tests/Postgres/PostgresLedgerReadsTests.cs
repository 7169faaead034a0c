using TokenOps.Core.Ledger;
using TokenOps.Storage.Postgres;
using TokenOps.Storage.Tests.Reporting;
using TokenOps.TestServers;

namespace TokenOps.Storage.Tests.Postgres;

/// <summary>The ledger-reads conformance suite on the throwaway PostgreSQL server, in this class's own database.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresLedgerReadsTests : LedgerReadsConformanceTests, IDisposable
{
    private readonly PostgresDatabase _database;

    public PostgresLedgerReadsTests(PostgresServer server)
    {
        _database = new PostgresDatabase(server.Database(nameof(PostgresLedgerReadsTests)));
        Store = new PostgresLedgerStore(_database);
        Rollups = new PostgresRollupQueries(_database);
        Explorer = new PostgresLedgerExplorer(_database);
        Spend = new PostgresSpendQueries(_database);
        Usage = new PostgresUsageReader(_database);
        WasteRows = new PostgresWasteRowReader(_database);
    }

    protected override ILedgerStore Store { get; }
    protected override IRollupQueries Rollups { get; }
    protected override ILedgerExplorer Explorer { get; }
    protected override ISpendQueries Spend { get; }
    protected override ILedgerUsageReader Usage { get; }
    protected override IWasteRowReader WasteRows { get; }

    public void Dispose() => _database.Dispose();
}
