using TokenOps.Core.Ledger;
using TokenOps.Storage.Sqlite;
using TokenOps.Storage.Tests.Planning;

namespace TokenOps.Storage.Tests.Sqlite;

/// <summary>The planning-reads conformance suite on a real SQLite file.</summary>
public sealed class SqlitePlanningQueriesTests(SqliteStoreFixture fixture) : PlanningQueriesConformanceTests, IClassFixture<SqliteStoreFixture>
{
    protected override ILedgerStore Store => fixture.Ledger;
    protected override IPlanningQueries Planning { get; } = new SqlitePlanningQueries(fixture.Database);
}
