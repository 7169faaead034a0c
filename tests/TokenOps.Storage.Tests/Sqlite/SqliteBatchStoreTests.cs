using TokenOps.Storage.Sqlite;
using TokenOps.Storage.Tests.Batches;

namespace TokenOps.Storage.Tests.Sqlite;

/// <summary>The batch store suite on a real SQLite file, a fresh one per test.</summary>
public sealed class SqliteBatchStoreTests : BatchStoreConformanceTests, IDisposable
{
    private readonly SqliteStoreFixture _fixture = new();

    protected override IBatchStore Store => new SqliteBatchStore(_fixture.Database);

    public void Dispose() => _fixture.Dispose();
}
