using TokenOps.TestServers;
using TokenOps.Storage.Postgres;
using TokenOps.Storage.Tests.Import;

namespace TokenOps.Storage.Tests.Postgres;

/// <summary>The import state conformance suite on the throwaway PostgreSQL server, in this class's own database.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresImportStateTests : ImportStateConformanceTests, IDisposable
{
    private readonly PostgresDatabase _database;

    public PostgresImportStateTests(PostgresServer server)
    {
        _database = new PostgresDatabase(server.Database(nameof(PostgresImportStateTests)));
        State = new PostgresImportState(_database);
    }

    protected override IImportState State { get; }

    public void Dispose() => _database.Dispose();
}
