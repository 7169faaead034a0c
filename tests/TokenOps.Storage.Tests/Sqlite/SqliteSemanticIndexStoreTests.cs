using TokenOps.Storage.Sqlite;
using TokenOps.Storage.Tests.ResponseCache;

namespace TokenOps.Storage.Tests.Sqlite;

/// <summary>The semantic index suite on a real SQLite file, a fresh one per test.</summary>
public sealed class SqliteSemanticIndexStoreTests : SemanticIndexStoreConformanceTests, IDisposable
{
    private readonly SqliteStoreFixture _fixture = new();

    protected override ISemanticIndexStore Store => new SqliteSemanticIndexStore(_fixture.Database);

    public void Dispose() => _fixture.Dispose();
}
