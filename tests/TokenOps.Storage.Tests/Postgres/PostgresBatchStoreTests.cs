using TokenOps.Storage.Postgres;
using TokenOps.Storage.Tests.Batches;
using TokenOps.TestServers;

namespace TokenOps.Storage.Tests.Postgres;

/// <summary>The batch store suite on the throwaway PostgreSQL server, a fresh database per test.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresBatchStoreTests(PostgresServer server) : BatchStoreConformanceTests, IDisposable
{
    private readonly PostgresDatabase _database = new(server.NewDatabase("batches"));

    protected override IBatchStore Store => new PostgresBatchStore(_database);

    public void Dispose() => _database.Dispose();
}
