using TokenOps.Storage.Postgres;
using TokenOps.Storage.Tests.ResponseCache;
using TokenOps.TestServers;

namespace TokenOps.Storage.Tests.Postgres;

/// <summary>The response cache suite on the throwaway PostgreSQL server, a fresh database per test.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresResponseCacheStoreTests(PostgresServer server) : ResponseCacheStoreConformanceTests, IDisposable
{
    private readonly PostgresDatabase _database = new(server.NewDatabase("response_cache"));

    protected override IResponseCacheStore Store => new PostgresResponseCacheStore(_database);

    public void Dispose() => _database.Dispose();
}
