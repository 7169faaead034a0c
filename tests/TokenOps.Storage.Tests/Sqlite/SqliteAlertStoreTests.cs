using TokenOps.Storage.Sqlite;
using TokenOps.Storage.Tests.Alerts;

namespace TokenOps.Storage.Tests.Sqlite;

/// <summary>The alert store conformance suite on SQLite: an empty database file per test.</summary>
public sealed class SqliteAlertStoreTests : AlertStoreConformanceTests, IDisposable
{
    private readonly SqliteStoreFixture _fixture = new();

    public SqliteAlertStoreTests() => Store = new SqliteAlertStore(_fixture.Database);

    protected override IAlertStore Store { get; }

    public void Dispose() => _fixture.Dispose();
}
