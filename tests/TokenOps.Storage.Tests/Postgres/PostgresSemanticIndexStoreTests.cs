using TokenOps.Storage.Postgres;
using TokenOps.Storage.Tests.ResponseCache;
using TokenOps.TestServers;

namespace TokenOps.Storage.Tests.Postgres;

/// <summary>The semantic index suite on the throwaway PostgreSQL server, a fresh database per test.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresSemanticIndexStoreTests(PostgresServer server) : SemanticIndexStoreConformanceTests, IDisposable
{
    private readonly PostgresDatabase _database = new(server.NewDatabase("semantic_index"));

    protected override ISemanticIndexStore Store => new PostgresSemanticIndexStore(_database);

    public void Dispose() => _database.Dispose();
}
