using TokenOps.Storage.Sqlite;
using TokenOps.Storage.Tests.ResponseCache;

namespace TokenOps.Storage.Tests.Sqlite;

/// <summary>The response cache suite on a real SQLite file, a fresh one per test.</summary>
public sealed class SqliteResponseCacheStoreTests : ResponseCacheStoreConformanceTests, IDisposable
{
    private readonly SqliteStoreFixture _fixture = new();

    protected override IResponseCacheStore Store => new SqliteResponseCacheStore(_fixture.Database);

    public void Dispose() => _fixture.Dispose();
}
