using TokenOps.TestServers;
using TokenOps.Storage.Postgres;
using TokenOps.Storage.Tests.Alerts;

namespace TokenOps.Storage.Tests.Postgres;

/// <summary>The alert store conformance suite on the throwaway PostgreSQL server: a new database per test.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresAlertStoreTests : AlertStoreConformanceTests, IDisposable
{
    private readonly PostgresDatabase _database;

    public PostgresAlertStoreTests(PostgresServer server)
    {
        _database = new PostgresDatabase(server.NewDatabase("alerts"));
        Store = new PostgresAlertStore(_database);
    }

    protected override IAlertStore Store { get; }

    public void Dispose() => _database.Dispose();
}
