using TokenOps.Storage.Sqlite;
using TokenOps.Storage.Tests.Dashboard;

namespace TokenOps.Storage.Tests.Sqlite;

/// <summary>The session store suite on a real SQLite file, a fresh one per test.</summary>
public sealed class SqliteSessionStoreTests : SessionStoreConformanceTests, IDisposable
{
    private readonly SqliteStoreFixture _fixture = new();

    protected override ISessionStore Store => new SqliteSessionStore(_fixture.Database);

    public void Dispose() => _fixture.Dispose();
}
