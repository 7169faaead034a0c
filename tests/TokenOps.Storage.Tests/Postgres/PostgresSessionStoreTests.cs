using TokenOps.Storage.Postgres;
using TokenOps.Storage.Tests.Dashboard;
using TokenOps.TestServers;

namespace TokenOps.Storage.Tests.Postgres;

/// <summary>The session store suite on the throwaway PostgreSQL server, a fresh database per test.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresSessionStoreTests(PostgresServer server) : SessionStoreConformanceTests, IDisposable
{
    private readonly PostgresDatabase _database = new(server.NewDatabase("sessions"));

    protected override ISessionStore Store => new PostgresSessionStore(_database);

    public void Dispose() => _database.Dispose();
}
