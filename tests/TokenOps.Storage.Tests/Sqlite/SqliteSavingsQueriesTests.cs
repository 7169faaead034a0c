using TokenOps.Core.Ledger;
using TokenOps.Storage.Sqlite;
using TokenOps.Storage.Tests.Savings;

namespace TokenOps.Storage.Tests.Sqlite;

/// <summary>The savings-reads conformance suite on a real SQLite file.</summary>
public sealed class SqliteSavingsQueriesTests(SqliteStoreFixture fixture) : SavingsQueriesConformanceTests, IClassFixture<SqliteStoreFixture>
{
    protected override ILedgerStore Store => fixture.Ledger;
    protected override ISavingsQueries Savings { get; } = new SqliteSavingsQueries(fixture.Database);
}
