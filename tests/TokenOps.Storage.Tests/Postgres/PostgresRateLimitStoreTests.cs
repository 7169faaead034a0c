using TokenOps.Storage.Postgres;
using TokenOps.Storage.Tests.RateLimits;
using TokenOps.TestServers;

namespace TokenOps.Storage.Tests.Postgres;

/// <summary>The rate limit store conformance suite on the throwaway PostgreSQL server, in this class's own database.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresRateLimitStoreTests(PostgresServer server) : RateLimitStoreConformanceTests, IDisposable
{
    private readonly PostgresDatabase _database = new(server.Database(nameof(PostgresRateLimitStoreTests)));

    protected override IRateLimitStore CreateStore(TimeProvider time) => new PostgresRateLimitStore(_database, time);

    public void Dispose() => _database.Dispose();
}
