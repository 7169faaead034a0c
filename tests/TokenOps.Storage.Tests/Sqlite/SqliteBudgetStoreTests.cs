using TokenOps.Core.Ledger;
using TokenOps.Storage.Sqlite;
using TokenOps.Storage.Tests.Budgets;

namespace TokenOps.Storage.Tests.Sqlite;

/// <summary>The budget store conformance suite on a real SQLite file.</summary>
public sealed class SqliteBudgetStoreTests(SqliteStoreFixture fixture) : BudgetStoreConformanceTests, IClassFixture<SqliteStoreFixture>
{
    protected override IBudgetStore CreateStore(TimeProvider time) => new SqliteBudgetStore(fixture.Database, time);

    protected override ILedgerStore Ledger => fixture.Ledger;
}
