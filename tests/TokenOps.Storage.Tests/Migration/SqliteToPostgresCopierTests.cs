using Npgsql;
using TokenOps.Storage.Journal;
using TokenOps.Storage.Migration;
using TokenOps.Storage.Postgres;
using TokenOps.Storage.Tests.Postgres;
using TokenOps.TestServers;

namespace TokenOps.Storage.Tests.Migration;

/// <summary>`tokenops migrate --to-postgres` below the CLI: a real SQLite installation copied into a fresh PostgreSQL database.</summary>
[Collection(PostgresCollection.Name)]
public sealed class SqliteToPostgresCopierTests(PostgresServer server) : IDisposable
{
    private readonly SqliteInstallation _installation = new();

    [Fact]
    public async Task Copies_every_table_row_for_row_and_verifies()
    {
        var target = server.NewDatabase("migrate");
        var result = await InstallationMigration.RunAsync(_installation.Directory, target, "TOKENOPS_PG");

        Assert.True(result.Verified, string.Join("; ", result.Checks.Where(c => !c.Passed)));
        using var postgres = new PostgresDatabase(target);
        foreach (var table in MigrationTables.All)
            Assert.Equal(_installation.SqliteRows(table.Name), SqliteInstallation.PostgresRows(postgres.DataSource, table.Name));
        // The installation really holds what the copy is meant to carry (a table empty on both sides proves nothing).
        var copied = result.Tables.ToDictionary(t => t.Table, t => t.Inserted);
        Assert.Equal(125, copied["ledger"]);
        foreach (var table in new[] { "teams", "people", "keys", "budgets", "alerts", "alert_deliveries", "outcomes", "outcome_deliveries", "import_files", "rollup_hourly", "rollup_weekly_org", "rollup_daily_model" })
            Assert.True(copied[table] > 0, table);
        Assert.Equal(1, copied["budgets_version"]); // PostgreSQL's own (1, 0) raised to SQLite's version
        Assert.Equal(Scalar(_installation, "SELECT SUM(cost_nanos) FROM ledger"), Convert.ToInt64(Scalar(postgres.DataSource, "SELECT SUM(cost_nanos) FROM ledger")));
        Assert.Equal(Scalar(_installation, "SELECT version FROM budgets_version"), Convert.ToInt64(Scalar(postgres.DataSource, "SELECT version FROM budgets_version")));
        // PostgreSQL keeps its own schema history: every step, applied there.
        Assert.Equal(result.SchemaSteps, Convert.ToInt32(Scalar(postgres.DataSource, "SELECT COUNT(*) FROM schema_migrations")));
        // The one serial column (the semantic index's sequence) moves past the copied values, so new entries never collide.
        Assert.Equal(["semantic_index.seq"], result.SequencesAdvanced);
    }

    [Fact]
    public async Task A_second_run_copies_nothing_and_changes_nothing()
    {
        var target = server.NewDatabase("migrate_twice");
        await InstallationMigration.RunAsync(_installation.Directory, target, "TOKENOPS_PG");
        using var postgres = new PostgresDatabase(target);
        var before = MigrationTables.All.ToDictionary(t => t.Name, t => SqliteInstallation.PostgresRows(postgres.DataSource, t.Name));

        var again = await InstallationMigration.RunAsync(_installation.Directory, target, "TOKENOPS_PG");

        Assert.True(again.Verified);
        Assert.All(again.Tables, t => Assert.Equal(0, t.Inserted));
        foreach (var table in MigrationTables.All) Assert.Equal(before[table.Name], SqliteInstallation.PostgresRows(postgres.DataSource, table.Name));
    }

    [Fact]
    public async Task An_interrupted_run_finishes_on_rerun_with_nothing_missing_and_nothing_twice()
    {
        var target = server.NewDatabase("migrate_resume");
        using var stop = new CancellationTokenSource();
        var chunks = 0;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => InstallationMigration.RunAsync(_installation.Directory, target, "TOKENOPS_PG",
            chunkSize: 7, afterChunk: (_, _) => { if (++chunks == 12) stop.Cancel(); }, cancel: stop.Token));
        using var postgres = new PostgresDatabase(target);
        var partial = Convert.ToInt64(Scalar(postgres.DataSource, "SELECT COUNT(*) FROM ledger"));
        Assert.InRange(partial, 1, 124); // killed inside the ledger: some chunks committed, not all

        var rerun = await InstallationMigration.RunAsync(_installation.Directory, target, "TOKENOPS_PG", chunkSize: 7);

        Assert.True(rerun.Verified, string.Join("; ", rerun.Checks.Where(c => !c.Passed)));
        Assert.Equal(125 - partial, rerun.Tables.Single(t => t.Table == "ledger").Inserted);
        foreach (var table in MigrationTables.All)
            Assert.Equal(_installation.SqliteRows(table.Name), SqliteInstallation.PostgresRows(postgres.DataSource, table.Name));
    }

    [Fact]
    public async Task Verification_fails_when_a_row_differs()
    {
        var target = server.NewDatabase("migrate_differs");
        await InstallationMigration.RunAsync(_installation.Directory, target, "TOKENOPS_PG");
        using (var postgres = new PostgresDatabase(target))
        {
            using var tamper = postgres.DataSource.CreateCommand(
                "UPDATE ledger SET cost_nanos = cost_nanos + 1 WHERE id = 'evt_000042'; DELETE FROM keys WHERE id = (SELECT MIN(id) FROM keys);");
            tamper.ExecuteNonQuery();
        }

        var result = await InstallationMigration.RunAsync(_installation.Directory, target, "TOKENOPS_PG");

        Assert.False(result.Verified);
        var failed = result.Checks.Where(c => !c.Passed).Select(c => c.What).ToList();
        Assert.Contains("ledger SUM(cost_nanos)", failed);
        Assert.Contains("rollup_hourly cost = ledger cost (PostgreSQL)", failed); // the rollups no longer describe the ledger
        // The deleted key came back with the rerun (ON CONFLICT DO NOTHING fills gaps), so keys match again.
        Assert.DoesNotContain("keys rows", failed);
        var report = new StringWriter();
        MigrationReport.Write(report, result);
        Assert.Contains("Verification FAILED", report.ToString());
    }

    [Fact]
    public async Task Rows_left_in_the_journal_are_merged_into_SQLite_first()
    {
        var journal = new LedgerJournal(JournalMerge.JournalDirectory(_installation.Directory));
        for (var n = 0; n < 3; n++) journal.Append(SqliteInstallation.Row(20_000 + n, "ada", "core"));
        journal.Dispose(); // a gateway killed before its batch reached SQLite: the segment stays
        var target = server.NewDatabase("migrate_journal");

        var result = await InstallationMigration.RunAsync(_installation.Directory, target, "TOKENOPS_PG");

        Assert.Equal(3, result.JournalRowsMerged);
        Assert.True(result.Verified);
        Assert.Equal(128, result.Tables.Single(t => t.Table == "ledger").Inserted);
        Assert.Empty(Directory.GetFiles(JournalMerge.JournalDirectory(_installation.Directory), "*.jsonl"));
    }

    [Fact]
    public async Task Refuses_while_a_gateway_holds_the_journal_open()
    {
        using var running = new LedgerJournal(JournalMerge.JournalDirectory(_installation.Directory));
        running.Append(SqliteInstallation.Row(30_000, "ada", "core"));
        var target = server.NewDatabase("migrate_running");

        var refused = await Assert.ThrowsAsync<MigrationRefusedException>(() => InstallationMigration.RunAsync(_installation.Directory, target, "TOKENOPS_PG"));

        Assert.Contains("a gateway is running on this data directory", refused.Message);
        Assert.Single(Directory.GetFiles(JournalMerge.JournalDirectory(_installation.Directory), "*.jsonl")); // its segment untouched
    }

    [Fact]
    public async Task A_failed_connection_names_the_variable_never_the_string()
    {
        var unreachable = new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1", Port = 1, Username = "secret_user_x", Password = "hunter2-pw", Database = "secret_db_y", Timeout = 3,
        }.ToString();

        var refused = await Assert.ThrowsAsync<MigrationRefusedException>(() => InstallationMigration.RunAsync(_installation.Directory, unreachable, "TOKENOPS_PG"));

        Assert.StartsWith("cannot connect to PostgreSQL (TOKENOPS_PG): ", refused.Message);
        foreach (var secret in new[] { "secret_user_x", "hunter2-pw", "secret_db_y", "127.0.0.1" }) Assert.DoesNotContain(secret, refused.Message);
    }

    [Fact]
    public async Task A_refused_login_masks_the_database_and_user_it_names()
    {
        var missing = server.ConnectionString("no_such_db_for_migrate");

        var refused = await Assert.ThrowsAsync<MigrationRefusedException>(() => InstallationMigration.RunAsync(_installation.Directory, missing, "TOKENOPS_PG"));

        // PostgreSQL's own message ("database ... does not exist") with the name masked, and its SQLSTATE for searching.
        Assert.StartsWith("cannot connect to PostgreSQL (TOKENOPS_PG): database \"***\" does not exist (SQLSTATE 3D000)", refused.Message);
        Assert.DoesNotContain("no_such_db_for_migrate", refused.Message);
    }

    private static object? Scalar(SqliteInstallation installation, string sql)
    {
        using var connection = installation.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }

    private static object? Scalar(NpgsqlDataSource dataSource, string sql)
    {
        using var command = dataSource.CreateCommand(sql);
        return command.ExecuteScalar();
    }

    public void Dispose() => _installation.Dispose();
}
