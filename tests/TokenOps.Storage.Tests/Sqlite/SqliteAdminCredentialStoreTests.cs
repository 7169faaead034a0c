using TokenOps.Storage.Sqlite;
using TokenOps.Storage.Tests.Audit;

namespace TokenOps.Storage.Tests.Sqlite;

/// <summary>The admin credential suite on a real SQLite file, a fresh one per test.</summary>
public sealed class SqliteAdminCredentialStoreTests : AdminCredentialStoreConformanceTests, IDisposable
{
    private readonly SqliteStoreFixture _fixture = new();

    protected override IAdminCredentialStore Store => new SqliteAdminCredentialStore(_fixture.Database, TimeProvider.System);

    public void Dispose() => _fixture.Dispose();
}
