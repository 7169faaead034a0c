using Npgsql;
using TokenOps.Storage.Postgres;
using TokenOps.Storage.Tests.Audit;
using TokenOps.TestServers;

namespace TokenOps.Storage.Tests.Postgres;

/// <summary>The audit trail suite on the throwaway PostgreSQL server, a fresh database per test.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresAuditLogTests(PostgresServer server) : AuditLogConformanceTests, IDisposable
{
    private readonly PostgresDatabase _database = new(server.NewDatabase("audit"));

    protected override IAuditLog Log => new PostgresAuditLog(_database);
    protected override IKeyStore RawKeys => new PostgresKeyStore(_database, TimeProvider.System);
    protected override IBudgetStore RawBudgets => new PostgresBudgetStore(_database, TimeProvider.System);

    protected override void Execute(string sql)
    {
        using var connection = _database.Open();
        using var command = new NpgsqlCommand(sql, connection);
        command.ExecuteNonQuery();
    }

    protected override void DropTriggers() => Execute("DROP TRIGGER audit_log_no_change ON audit_log;");

    public void Dispose() => _database.Dispose();
}
