using Microsoft.Data.Sqlite;
using TokenOps.Core.Ledger;
using TokenOps.Storage.Sqlite;
using TokenOps.Storage.Tests.Outcomes;

namespace TokenOps.Storage.Tests.Sqlite;

/// <summary>The outcome store conformance suite on a real SQLite file in a temporary directory (one per test class).</summary>
public sealed class SqliteOutcomeStoreTests(SqliteStoreFixture fixture) : OutcomeStoreConformanceTests, IClassFixture<SqliteStoreFixture>
{
    protected override IOutcomeStore Store { get; } = new SqliteOutcomeStore(fixture.Database, TimeProvider.System);
}

/// <summary>The spend reader conformance suite on SQLite, the rows written by <see cref="SqliteLedgerStore"/>.</summary>
public sealed class SqliteSpendReaderTests(SqliteStoreFixture fixture) : SpendReaderConformanceTests, IClassFixture<SqliteStoreFixture>
{
    protected override ISpendReader Reader { get; } = new SqliteSpendReader(fixture.Database);

    protected override ILedgerStore Ledger => fixture.Ledger;
}
