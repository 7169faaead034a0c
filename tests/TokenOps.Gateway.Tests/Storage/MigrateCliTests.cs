using Npgsql;
using TokenOps.Core.Budgets;
using TokenOps.Core.Ledger;
using TokenOps.Gateway.Tests.Fleet;
using TokenOps.Gateway.Tests.Infrastructure;
using TokenOps.Storage;
using TokenOps.Storage.Journal;
using TokenOps.TestServers;

namespace TokenOps.Gateway.Tests.Storage;

/// <summary>
/// `tokenops migrate --data DIR --to-postgres` end to end, as an operator runs it: an embedded installation (with rows
/// still in its journal) moved to PostgreSQL, the CLI then reading the same rows there, a rerun copying nothing, and the
/// connection string never printed, not even when the connection fails.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class MigrateCliTests(PostgresServer server) : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "tokenops-migrate-cli", Guid.NewGuid().ToString("N"));

    private static LedgerEntry Row(int n) => new()
    {
        Id = $"evt_mig_{n:D3}", StartedAt = new DateTimeOffset(2026, 11, 3, 9, n % 60, 0, TimeSpan.Zero).AddTicks(n + 1),
        EndedAt = new DateTimeOffset(2026, 11, 3, 9, n % 60, 1, TimeSpan.Zero), Route = "openai.chat",
        Person = (n % 3) switch { 0 => "ada", 1 => "bo", _ => "cy" }, Team = n % 2 == 0 ? "core" : "search", Provider = "openai",
        RequestedModel = n % 4 == 0 ? "gpt-4o" : "gpt-4o-mini", ServedModel = n % 4 == 0 ? "gpt-4o" : "gpt-4o-mini",
        Usage = new() { UncachedInput = 100 * (n + 1), Output = 10 + n }, CostNanos = 1_234_567 * (n + 1), Status = 200, Outcome = LedgerOutcome.Ok,
    };

    [Fact]
    public async Task Moves_an_installation_to_PostgreSQL_and_the_CLI_reads_the_same_rows()
    {
        var cs = server.NewDatabase("migrate_cli");
        var database = new NpgsqlConnectionStringBuilder(cs).Database!;
        var sqliteData = Path.Combine(_dir, "data");
        using (var sqlite = StorageSession.Open(new StorageOptions(), sqliteData))
        {
            sqlite.Ledger.Write(Enumerable.Range(0, 40).Select(Row).ToList());
            sqlite.Keys.Create("ada", "core");
            sqlite.Budgets.Set(new StoredBudget("team-core", BudgetLevel.Team, "core", 5_000_000_000, "monthly", "UTC", BudgetMode.Hard, SoftAction.Warn, false, 0, DateTimeOffset.UnixEpoch));
        }
        // Two rows a stopped gateway left in its journal, not yet in SQLite: the command merges them first.
        var journal = new LedgerJournal(Path.Combine(sqliteData, "journal"));
        journal.Append(Row(40));
        journal.Append(Row(41));
        journal.Dispose();
        var env = new Dictionary<string, string> { ["TOKENOPS_PG"] = cs };

        var first = await CliProcess.RunAsync(env, "migrate", "--data", sqliteData, "--to-postgres", "--chunk-size", "16");

        Assert.True(first.ExitCode == 0, first.Stdout + first.Stderr);
        Assert.Contains("Journal: 2 rows merged into SQLite before copying", first.Stdout);
        Assert.Matches(@"(?m)^ledger\s+42\s+42$", first.Stdout);
        Assert.Matches(@"(?m)^ledger SUM\(cost_nanos\)\s+[\d,]+\s+[\d,]+\s+ok$", first.Stdout);
        Assert.Contains("checks passed", first.Stdout);
        foreach (var secret in new[] { cs, "Host=", "127.0.0.1", database })
            Assert.DoesNotContain(secret, first.Stdout + first.Stderr);

        // The same ledger, read through the CLI on each backend.
        Directory.CreateDirectory(_dir);
        var pgConfig = Path.Combine(_dir, "pg.json");
        File.WriteAllText(pgConfig, """{ "storage": { "kind": "postgres", "connectionStringEnv": "TOKENOPS_PG" } }""");
        foreach (var args in new[] { new[] { "ledger", "--format", "json" }, ["ledger"] })
        {
            var onPg = await CliProcess.RunAsync(env, [.. args, "--config", pgConfig, "--data", Path.Combine(_dir, "pg-data")]);
            var onSqlite = await CliProcess.RunAsync([.. args, "--data", sqliteData]);
            Assert.True(onPg.ExitCode == 0, onPg.Stderr);
            Assert.Equal(0, onSqlite.ExitCode);
            Assert.Contains(args.Length > 1 ? "evt_mig_041" : "ada", onPg.Stdout);
            Assert.Equal(onSqlite.Stdout, onPg.Stdout);
        }

        var again = await CliProcess.RunAsync(env, "migrate", "--data", sqliteData, "--to-postgres");
        Assert.True(again.ExitCode == 0, again.Stdout + again.Stderr);
        Assert.Contains("Journal: 0 rows merged", again.Stdout);
        Assert.Contains("Copied now: 0 rows", again.Stdout);
    }

    [Fact]
    public async Task A_failed_verification_exits_1_with_the_differing_checks()
    {
        var cs = server.NewDatabase("migrate_cli_differs");
        var sqliteData = Path.Combine(_dir, "data");
        using (var sqlite = StorageSession.Open(new StorageOptions(), sqliteData))
            sqlite.Ledger.Write(Enumerable.Range(0, 10).Select(Row).ToList());
        var env = new Dictionary<string, string> { ["TOKENOPS_PG"] = cs };
        Assert.Equal(0, (await CliProcess.RunAsync(env, "migrate", "--data", sqliteData, "--to-postgres")).ExitCode);
        await using (var pg = NpgsqlDataSource.Create(cs))
        await using (var tamper = pg.CreateCommand("UPDATE ledger SET cost_nanos = 0 WHERE id = 'evt_mig_003'"))
            await tamper.ExecuteNonQueryAsync();

        var run = await CliProcess.RunAsync(env, "migrate", "--data", sqliteData, "--to-postgres");

        Assert.Equal(1, run.ExitCode);
        Assert.Matches(@"(?m)^ledger SUM\(cost_nanos\)\s+[\d,]+\s+[\d,]+\s+DIFFERS$", run.Stdout);
        Assert.Contains("tokenops: verification failed", run.Stderr);
    }

    [Fact]
    public async Task A_connection_failure_names_the_variable_never_the_string()
    {
        var sqliteData = Path.Combine(_dir, "data");
        using (var sqlite = StorageSession.Open(new StorageOptions(), sqliteData))
            sqlite.Ledger.Write([Row(0)]);
        var unreachable = "Host=127.0.0.1;Port=1;Username=migrate_secret_user;Password=pw-hunter2;Database=migrate_secret_db;Timeout=3";

        var run = await CliProcess.RunAsync(new Dictionary<string, string> { ["TOKENOPS_PG"] = unreachable }, "migrate", "--data", sqliteData, "--to-postgres");

        Assert.Equal(2, run.ExitCode);
        Assert.StartsWith("tokenops: cannot connect to PostgreSQL (TOKENOPS_PG): ", run.Stderr);
        foreach (var secret in new[] { "migrate_secret_user", "pw-hunter2", "migrate_secret_db", "127.0.0.1", "Port=1" })
            Assert.DoesNotContain(secret, run.Stdout + run.Stderr);
        var unset = await CliProcess.RunAsync("migrate", "--data", sqliteData, "--to-postgres");
        Assert.Equal(2, unset.ExitCode);
        Assert.Contains("set TOKENOPS_PG", unset.Stderr);
    }

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}
