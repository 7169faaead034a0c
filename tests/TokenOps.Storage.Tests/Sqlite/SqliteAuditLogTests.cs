using Microsoft.Data.Sqlite;
using TokenOps.Storage.Sqlite;
using TokenOps.Storage.Tests.Audit;

namespace TokenOps.Storage.Tests.Sqlite;

/// <summary>The audit trail suite on a real SQLite file, a fresh one per test.</summary>
public sealed class SqliteAuditLogTests : AuditLogConformanceTests, IDisposable
{
    private readonly SqliteStoreFixture _fixture = new();

    protected override IAuditLog Log => new SqliteAuditLog(_fixture.Database);
    protected override IKeyStore RawKeys => new SqliteKeyStore(_fixture.Database, TimeProvider.System);
    protected override IBudgetStore RawBudgets => new SqliteBudgetStore(_fixture.Database, TimeProvider.System);

    protected override void Execute(string sql)
    {
        using var connection = _fixture.Database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    protected override void DropTriggers() => Execute("DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;");

    public void Dispose() => _fixture.Dispose();
}
