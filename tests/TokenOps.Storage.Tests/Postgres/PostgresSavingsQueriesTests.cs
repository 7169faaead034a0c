using TokenOps.Core.Ledger;
using TokenOps.Storage.Postgres;
using TokenOps.Storage.Tests.Savings;
using TokenOps.TestServers;

namespace TokenOps.Storage.Tests.Postgres;

/// <summary>The savings-reads conformance suite on the throwaway PostgreSQL server, in this class's own database.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresSavingsQueriesTests : SavingsQueriesConformanceTests, IDisposable
{
    private readonly PostgresDatabase _database;

    public PostgresSavingsQueriesTests(PostgresServer server)
    {
        _database = new PostgresDatabase(server.Database(nameof(PostgresSavingsQueriesTests)));
        Store = new PostgresLedgerStore(_database);
        Savings = new PostgresSavingsQueries(_database);
    }

    protected override ILedgerStore Store { get; }
    protected override ISavingsQueries Savings { get; }

    public void Dispose() => _database.Dispose();
}
