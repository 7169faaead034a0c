using TokenOps.Core.Ledger;
using TokenOps.Storage.Sqlite;
using TokenOps.Storage.Tests.Reporting;

namespace TokenOps.Storage.Tests.Sqlite;

/// <summary>The ledger-reads conformance suite on a real SQLite file.</summary>
public sealed class SqliteLedgerReadsTests(SqliteStoreFixture fixture) : LedgerReadsConformanceTests, IClassFixture<SqliteStoreFixture>
{
    protected override ILedgerStore Store => fixture.Ledger;
    protected override IRollupQueries Rollups { get; } = new RollupQueries(fixture.Database);
    protected override ILedgerExplorer Explorer { get; } = new LedgerExplorer(fixture.Database);
    protected override ISpendQueries Spend { get; } = new SqliteSpendQueries(fixture.Database);
    protected override ILedgerUsageReader Usage { get; } = new SqliteUsageReader(fixture.Database);
    protected override IWasteRowReader WasteRows { get; } = new SqliteWasteRowReader(fixture.Database);
}
