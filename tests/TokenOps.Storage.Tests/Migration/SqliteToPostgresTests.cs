using Microsoft.Data.Sqlite;
using Npgsql;
using TokenOps.Core.Alerts;
using TokenOps.Core.Budgets;
using TokenOps.Core.Ledger;
using TokenOps.Core.Metering;
using TokenOps.Core.Pricing;
using TokenOps.Storage.Migration;
using TokenOps.Storage.Postgres;
using TokenOps.Storage.Sqlite;
using TokenOps.Storage.Tests.Postgres;
using TokenOps.TestServers;

namespace TokenOps.Storage.Tests.Migration;

/// <summary>
/// An embedded installation built through the real stores (ledger, keys, people and teams, budgets, alerts and their
/// outbox, dashboard sessions, a row still only in the journal) copied into PostgreSQL: every table equal value for
/// value, a rerun adds nothing, an interrupted run finishes on rerun, and a difference fails the verification.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class SqliteToPostgresTests(PostgresServer server) : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "tokenops-migrate-tests", Guid.NewGuid().ToString("N"));

    private static LedgerEntry Row(int n) => new()
    {
        Id = $"evt_mig_{n:D4}", StartedAt = new DateTimeOffset(2026, 10, 1, 0, 0, 0, TimeSpan.Zero).AddMinutes(37 * n),
        EndedAt = new DateTimeOffset(2026, 10, 1, 0, 0, 1, TimeSpan.Zero).AddMinutes(37 * n), Route = "openai.chat",
        Person = n % 3 == 0 ? "ada" : "bo", Team = n % 3 == 0 ? "core" : "Payments", Provider = "openai",
        RequestedModel = n % 2 == 0 ? "gpt-4o-mini" : "claude-x", ServedModel = n % 2 == 0 ? "gpt-4o-mini" : "claude-x",
        Usage = new TokenUsage { UncachedInput = 100 + n, Output = 7 * n, CacheRead = n % 5 },
        Cost = new CostBreakdown { UncachedInput = 0.000000123m * (100 + n), Output = 0.000001m * n }, Streamed = n % 2 == 1,
        Status = 200, Outcome = LedgerOutcome.Ok, LatencyMs = 12.345 + n, TimeToFirstTokenMs = n % 2 == 1 ? 3.5 : null,
        SessionId = "s" + n % 4, Source = "gateway",
    };

    private void BuildInstallation(int rows)
    {
        var db = new SqliteDatabase(_dir);
        using (var ledger = new SqliteLedgerStore(db)) ledger.Write(Enumerable.Range(0, rows).Select(Row).ToList());
        var keys = new SqliteKeyStore(db, TimeProvider.System);
        keys.Create("ada", "core");
        var bo = keys.Create("bo", "Payments");
        keys.Revoke(bo.Key.Id);
        new SqliteBudgetStore(db, TimeProvider.System).Set(new StoredBudget("team:core", BudgetLevel.Team, "core", 5_000_000_000, "monthly", "UTC",
            BudgetMode.Hard, SoftAction.Warn, true, 1_000_000_000, new DateTimeOffset(2026, 10, 2, 0, 0, 0, TimeSpan.Zero)));
        var start = new DateTimeOffset(2026, 10, 1, 0, 0, 0, TimeSpan.Zero);
        var key = Alert.KeyFor("team:core", start, AlertKind.Threshold, 80);
        new SqliteAlertStore(db).TryAdd(new Alert(Alert.IdFor(key), key, AlertKind.Threshold, "team:core", BudgetLevel.Team, "core", 80, 4.1m, 5m,
            null, start, start.AddMonths(1), "core reached 80%", start.AddDays(3)), ["https://hooks.example/a", "https://hooks.example/b"]);
        new SqliteSessionStore(db).Add(new StoredSession("hash1", "admin", "Admin", null, null, true, null, start, start.AddYears(5)), start, 5, 100);
    }

    private static List<string> Dump(System.Data.Common.DbConnection c, string table, string orderBy)
    {
        using var q = c.CreateCommand();
        q.CommandText = $"SELECT * FROM {table} ORDER BY {orderBy}";
        using var r = q.ExecuteReader();
        var rows = new List<string>();
        while (r.Read())
            rows.Add(string.Join("|", Enumerable.Range(0, r.FieldCount).OrderBy(i => r.GetName(i), StringComparer.Ordinal).Select(i =>
                r.GetName(i) + "=" + (r.IsDBNull(i) ? "null" : r.GetValue(i) switch
                {
                    bool b => b ? "1" : "0",
                    double d => d.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
                    var v => Convert.ToString(v, System.Globalization.CultureInfo.InvariantCulture),
                }))));
        return rows;
    }

    [Fact]
    public async Task Copies_every_table_value_for_value_and_a_rerun_adds_nothing()
    {
        BuildInstallation(rows: 150);
        // A row a stopped gateway left in its journal is copied too.
        using (var journal = new TokenOps.Storage.Journal.LedgerJournal(Path.Combine(_dir, "journal"))) journal.Append(Row(9999));
        var cs = server.NewDatabase("migrate");

        var first = await new SqliteToPostgres(_dir, cs) { ChunkRows = 40 }.RunAsync();
        Assert.True(first.Verification.Passed, string.Join("; ", first.Verification.Problems));
        Assert.Equal(1, first.JournalRowsReplayed);
        Assert.Equal(151, first.Tables.Single(t => t.Table == "ledger").Added);

        using var sqlite = new SqliteDatabase(_dir).Open();
        using var pg = new NpgsqlConnection(cs);
        pg.Open();
        foreach (var (table, order) in new[] { ("ledger", "id"), ("keys", "id"), ("people", "name"), ("teams", "name"), ("budgets", "id"),
                     ("alerts", "id"), ("alert_deliveries", "alert_id, webhook"), ("dashboard_sessions", "token_hash"), ("rollup_daily", "bucket, team, person, project, feature, model, provider") })
            Assert.Equal(Dump(sqlite, table, order), Dump(pg, table, order));
        var rollups = new PostgresRollupQueries(new PostgresDatabase(cs));
        Assert.Equal(151, rollups.Total(new RollupFilter(new DateTimeOffset(2026, 9, 1, 0, 0, 0, TimeSpan.Zero), new DateTimeOffset(2028, 1, 1, 0, 0, 0, TimeSpan.Zero))).Requests);

        var again = await new SqliteToPostgres(_dir, cs).RunAsync();
        Assert.True(again.Verification.Passed);
        Assert.All(again.Tables, t => Assert.Equal(0, t.Added));
    }

    [Fact]
    public async Task An_interrupted_run_finishes_on_rerun_without_duplicates()
    {
        BuildInstallation(rows: 300);
        var cs = server.NewDatabase("migrate_resume");
        var chunks = 0;
        var interrupted = new SqliteToPostgres(_dir, cs)
        {
            ChunkRows = 25,
            AfterChunk = (table, _) => { if (table == "ledger" && ++chunks == 4) throw new OperationCanceledException("killed"); },
        };
        await Assert.ThrowsAsync<OperationCanceledException>(() => interrupted.RunAsync());
        using (var pg = new NpgsqlConnection(cs))
        {
            pg.Open();
            using var count = new NpgsqlCommand("SELECT COUNT(*) FROM ledger", pg);
            Assert.Equal(100L, (long)count.ExecuteScalar()!);
        }
        var resumed = await new SqliteToPostgres(_dir, cs) { ChunkRows = 25 }.RunAsync();
        Assert.True(resumed.Verification.Passed, string.Join("; ", resumed.Verification.Problems));
        Assert.Equal(200, resumed.Tables.Single(t => t.Table == "ledger").Added);
    }

    [Fact]
    public async Task Verification_fails_when_PostgreSQL_differs()
    {
        BuildInstallation(rows: 20);
        var cs = server.NewDatabase("migrate_differs");
        Assert.True((await new SqliteToPostgres(_dir, cs).RunAsync()).Verification.Passed);
        using (var pg = new NpgsqlConnection(cs))
        {
            pg.Open();
            using var tamper = new NpgsqlCommand("UPDATE ledger SET cost_nanos = cost_nanos + 1 WHERE id = 'evt_mig_0003'", pg);
            Assert.Equal(1, tamper.ExecuteNonQuery());
        }
        var report = await new SqliteToPostgres(_dir, cs).RunAsync();
        Assert.False(report.Verification.Passed);
        Assert.Contains(report.Verification.Problems, p => p.StartsWith("ledger cost", StringComparison.Ordinal));
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }
}
