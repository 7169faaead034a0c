using TokenOps.Storage.Postgres;
using TokenOps.Storage.Tests.Audit;
using TokenOps.TestServers;

namespace TokenOps.Storage.Tests.Postgres;

/// <summary>The admin credential suite on the throwaway PostgreSQL server, a fresh database per test.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresAdminCredentialStoreTests(PostgresServer server) : AdminCredentialStoreConformanceTests, IDisposable
{
    private readonly PostgresDatabase _database = new(server.NewDatabase("credentials"));

    protected override IAdminCredentialStore Store => new PostgresAdminCredentialStore(_database, TimeProvider.System);

    public void Dispose() => _database.Dispose();
}
