using TokenOps.TestServers;
using System.Data.Common;
using TokenOps.Storage.Postgres;
using TokenOps.Storage.Tests.Keys;

namespace TokenOps.Storage.Tests.Postgres;

/// <summary>
/// The key store conformance suite again, on a database whose default collation is ICU en-US (linguistic: "amy" before
/// "Zed"): lists must still come in byte order, as SQLite's, whatever the database's locale.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresKeyStoreOnIcuTests(PostgresServer server) : KeyStoreConformanceTests, IDisposable
{
    private readonly PostgresDatabase _database = new(server.Database(nameof(PostgresKeyStoreOnIcuTests), icuLocale: "en-US"));

    protected override IKeyStore CreateStore(TimeProvider time) => new PostgresKeyStore(_database, time);

    protected override DbConnection OpenConnection() => _database.Open();

    public void Dispose() => _database.Dispose();
}
