using TokenOps.Storage.Sqlite;
using TokenOps.Storage.Tests.Import;

namespace TokenOps.Storage.Tests.Sqlite;

/// <summary>The import state conformance suite on a real SQLite file.</summary>
public sealed class SqliteImportStateTests(SqliteStoreFixture fixture) : ImportStateConformanceTests, IClassFixture<SqliteStoreFixture>
{
    protected override IImportState State { get; } = new SqliteImportState(fixture.Database);
}
