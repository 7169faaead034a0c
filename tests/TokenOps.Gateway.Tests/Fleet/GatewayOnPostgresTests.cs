using System.Net;
using System.Text;
using Npgsql;
using TokenOps.Core.Ledger;
using TokenOps.Gateway.Tests.Infrastructure;
using TokenOps.Storage;
using TokenOps.TestServers;

namespace TokenOps.Gateway.Tests.Fleet;

/// <summary>
/// The real gateway (Kestrel, the simulator over HTTP) with <c>storage.kind = "postgres"</c> on a throwaway server: rows
/// land in PostgreSQL and equal the provider's bill; the CLI reads the same installation; and a PostgreSQL outage
/// mid-load loses and duplicates nothing (rows wait in the journal and land when the server is back).
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class GatewayOnPostgresTests(PostgresServer server) : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "tokenops-pg-gw", Guid.NewGuid().ToString("N"));

    /// <summary>The connection string goes in a file (storage.connectionStringFile), as a mounted secret would.</summary>
    private string SecretFile(string connectionString)
    {
        Directory.CreateDirectory(_dir);
        var path = Path.Combine(_dir, "pg.secret");
        File.WriteAllText(path, connectionString);
        return path;
    }

    private Task<GatewayFixture> StartOn(string connectionString) => GatewayFixture.StartAsync(o =>
        o.Storage = new StorageOptions { Kind = StorageKinds.Postgres, ConnectionStringFile = SecretFile(connectionString) });

    private static async Task<HttpResponseMessage> Chat(HttpClient http, bool stream, string text = "Say something about ledgers.")
    {
        var body = $$"""{"model":"gpt-4o-mini","stream":{{(stream ? "true" : "false")}},"messages":[{"role":"user","content":"{{text}}"}]}""";
        return await http.PostAsync("/v1/chat/completions", new StringContent(body, Encoding.UTF8, "application/json"));
    }

    private static (long Rows, long Cost, long Distinct) LedgerInPostgres(string connectionString)
    {
        using var c = new NpgsqlConnection(connectionString);
        c.Open();
        using var q = new NpgsqlCommand("SELECT COUNT(*), COALESCE(SUM(cost_nanos), 0)::bigint, COUNT(DISTINCT id) FROM ledger", c);
        using var r = q.ExecuteReader();
        r.Read();
        return (r.GetInt64(0), r.GetInt64(1), r.GetInt64(2));
    }

    [Fact]
    public async Task Requests_are_metered_into_PostgreSQL_at_the_providers_price()
    {
        var cs = server.Database(nameof(Requests_are_metered_into_PostgreSQL_at_the_providers_price));
        await using var gw = await StartOn(cs);
        var key = gw.CreateKey("ada", "payments");
        using var http = gw.Client(key);
        for (var i = 0; i < 6; i++) Assert.Equal(HttpStatusCode.OK, (await Chat(http, stream: i % 2 == 0)).StatusCode);
        var rows = await gw.LedgerAsync(6);
        Assert.Equal(6, rows.Count);
        Assert.All(rows, r => Assert.Equal(("ada", "payments", LedgerOutcome.Ok), (r.Person, r.Team, r.Outcome)));
        var inPg = LedgerInPostgres(cs);
        Assert.Equal(6, inPg.Rows);
        Assert.Equal(gw.BilledNanos(gw.Bill.Entries), inPg.Cost);
        Assert.True(inPg.Cost > 0);
        // Nothing was written to an SQLite file: the data directory holds the journal only.
        Assert.Empty(Directory.GetFiles(gw.DataDirectory, "*.db", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task The_CLI_reads_the_same_installation_with_the_same_output_as_on_SQLite()
    {
        var cs = server.Database(nameof(The_CLI_reads_the_same_installation_with_the_same_output_as_on_SQLite));
        var rows = Enumerable.Range(0, 5).Select(n => new LedgerEntry
        {
            Id = $"evt_cli_{n}", StartedAt = new DateTimeOffset(2026, 11, 3, 9, n, 0, TimeSpan.Zero), EndedAt = new DateTimeOffset(2026, 11, 3, 9, n, 1, TimeSpan.Zero),
            Route = "openai.chat", Person = n % 2 == 0 ? "ada" : "bo", Team = "core", Provider = "openai", RequestedModel = "gpt-4o-mini",
            ServedModel = "gpt-4o-mini", Usage = new() { UncachedInput = 100 * (n + 1), Output = 10 }, CostNanos = 1_234_567 * (n + 1),
            Status = 200, Outcome = LedgerOutcome.Ok,
        }).ToList();
        var pgConfig = Path.Combine(_dir, "pg.json");
        Directory.CreateDirectory(_dir);
        File.WriteAllText(pgConfig, $$"""{ "storage": { "kind": "postgres", "connectionStringFile": "{{SecretFile(cs)}}" } }""");
        var pgData = Path.Combine(_dir, "data-pg");
        var sqliteData = Path.Combine(_dir, "data-sqlite");
        using (var pg = StorageSession.Open(new StorageOptions { Kind = StorageKinds.Postgres, ConnectionStringFile = Path.Combine(_dir, "pg.secret") }, pgData))
            pg.Ledger.Write(rows);
        using (var sqlite = StorageSession.Open(new StorageOptions(), sqliteData))
            sqlite.Ledger.Write(rows);

        foreach (var args in new[] { new[] { "ledger", "--format", "json" }, ["ledger"], ["report", "--by", "person", "--period", "2026-11"], ["report", "daily", "--json"] })
        {
            var onPg = await CliProcess.RunAsync([.. args, "--config", pgConfig, "--data", pgData]);
            var onSqlite = await CliProcess.RunAsync([.. args, "--data", sqliteData]);
            Assert.True(onPg.ExitCode == 0, string.Join(' ', args) + ": " + onPg.Stderr);
            Assert.Equal(0, onSqlite.ExitCode);
            Assert.Equal(onSqlite.Stdout, onPg.Stdout);
            Assert.Contains(args[0] == "report" && args[1] == "daily" ? "gpt-4o-mini" : "ada", onPg.Stdout);
            Assert.DoesNotContain("Host=", onPg.Stdout + onPg.Stderr);
        }
    }

    [Fact]
    public async Task A_PostgreSQL_outage_mid_load_loses_and_duplicates_nothing()
    {
        var cs = server.Database(nameof(A_PostgreSQL_outage_mid_load_loses_and_duplicates_nothing));
        await using var gw = await StartOn(cs);
        var key = gw.CreateKey("ada", "payments");
        using var http = gw.Client(key);
        for (var i = 0; i < 5; i++) Assert.Equal(HttpStatusCode.OK, (await Chat(http, stream: false)).StatusCode);
        await gw.LedgerAsync(5);

        server.Stop();
        try
        {
            // Keys are cached from before the outage; requests keep flowing and their rows wait in the journal.
            for (var i = 0; i < 8; i++) Assert.Equal(HttpStatusCode.OK, (await Chat(http, stream: i % 2 == 1)).StatusCode);
            using var health = await gw.Client().GetAsync("/healthz");
            var body = await health.Content.ReadAsStringAsync();
            Assert.Contains("unreachable", body);
            Assert.DoesNotContain("Host=", body);
        }
        finally
        {
            server.Start();
        }

        var deadline = DateTime.UtcNow.AddSeconds(30);
        (long Rows, long Cost, long Distinct) inPg;
        while ((inPg = LedgerInPostgres(cs)).Rows < 13 && DateTime.UtcNow < deadline) await Task.Delay(200);
        Assert.True(inPg.Rows == 13, $"{inPg.Rows} rows in PostgreSQL; gateway log:\n" + string.Join('\n', gw.Logs.Lines.Where(l => !l.Contains("Debug")).TakeLast(30)));
        Assert.Equal(13, inPg.Distinct);
        Assert.Equal(gw.BilledNanos(gw.Bill.Entries), inPg.Cost);
    }

    public void Dispose()
    {
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }
}
