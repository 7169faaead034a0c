using TokenOps.Core.Ledger;
using TokenOps.Storage.Postgres;
using TokenOps.Storage.Tests.Planning;
using TokenOps.TestServers;

namespace TokenOps.Storage.Tests.Postgres;

/// <summary>The planning-reads conformance suite on the throwaway PostgreSQL server, in this class's own database.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresPlanningQueriesTests : PlanningQueriesConformanceTests, IDisposable
{
    private readonly PostgresDatabase _database;

    public PostgresPlanningQueriesTests(PostgresServer server)
    {
        _database = new PostgresDatabase(server.Database(nameof(PostgresPlanningQueriesTests)));
        Store = new PostgresLedgerStore(_database);
        Planning = new PostgresPlanningQueries(_database);
    }

    protected override ILedgerStore Store { get; }
    protected override IPlanningQueries Planning { get; }

    public void Dispose() => _database.Dispose();
}
