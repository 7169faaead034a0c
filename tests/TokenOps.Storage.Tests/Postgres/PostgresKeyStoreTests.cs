using TokenOps.TestServers;
using System.Data.Common;
using TokenOps.Storage.Postgres;
using TokenOps.Storage.Tests.Keys;

namespace TokenOps.Storage.Tests.Postgres;

/// <summary>The key store conformance suite on the throwaway PostgreSQL server, in this class's own database.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresKeyStoreTests(PostgresServer server) : KeyStoreConformanceTests, IDisposable
{
    private readonly PostgresDatabase _database = new(server.Database(nameof(PostgresKeyStoreTests)));

    protected override IKeyStore CreateStore(TimeProvider time) => new PostgresKeyStore(_database, time);

    protected override DbConnection OpenConnection() => _database.Open();

    public void Dispose() => _database.Dispose();
}
