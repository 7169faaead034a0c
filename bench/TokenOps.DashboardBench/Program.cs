using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using Microsoft.Data.Sqlite;
using TokenOps.Core.Ledger;
using TokenOps.Core.Metering;
using TokenOps.Core.Pricing;
using TokenOps.Gateway;
using TokenOps.Gateway.Configuration;
using TokenOps.Storage.Sqlite;

// Usage: tokenops-dashboard-bench --rows 10000000 --dir /tmp/tokenops-dash-bench [--iterations 60] [--days 90] [--generate-only]
// Generates the ledger once (reused when the directory already holds it), then times every dashboard endpoint.
var opts = Args.Parse(args);
var rows = long.Parse(opts.GetValueOrDefault("rows", "1000000"), CultureInfo.InvariantCulture);
var dir = opts.GetValueOrDefault("dir", Path.Combine(Path.GetTempPath(), "tokenops-dash-bench"));
var iterations = int.Parse(opts.GetValueOrDefault("iterations", "60"), CultureInfo.InvariantCulture);
var days = int.Parse(opts.GetValueOrDefault("days", "90"), CultureInfo.InvariantCulture);
var now = DateTimeOffset.UtcNow;

var db = new SqliteDatabase(dir);
var store = new SqliteLedgerStore(db);
// A bigger page cache for this process's (pooled) connection: the bulk load touches five ledger indexes and the rollups.
using (var c = db.Open())
using (var pragma = c.CreateCommand())
{
    pragma.CommandText = "PRAGMA cache_size = -1048576;";
    pragma.ExecuteNonQuery();
}
var existing = store.Count();
var org = Org.Create();
if (existing == 0)
{
    // --via-store: every row through SqliteLedgerStore.Write (the gateway's path, rollups applied per batch): slow, shows write cost.
    // Default: rows generated inside SQLite in one statement, then the rollups rebuilt by the migration's backfill SQL.
    if (opts.ContainsKey("via-store")) Generate(store, org, rows, days, now);
    else SqlGenerate(db, org, rows, days, now);
}
else
{
    Console.WriteLine($"reusing {existing:N0} ledger rows in {dir}");
    rows = existing;
}
using (var c = db.Open())
using (var size = c.CreateCommand())
{
    size.CommandText = "SELECT (SELECT COUNT(*) FROM rollup_hourly), (SELECT COUNT(*) FROM rollup_daily), (SELECT COUNT(*) FROM rollup_hourly_org), (SELECT COUNT(*) FROM rollup_daily_org), " +
        "(SELECT COUNT(*) FROM rollup_weekly), (SELECT COUNT(*) FROM rollup_weekly_org), (SELECT COUNT(*) FROM rollup_monthly), (SELECT COUNT(*) FROM rollup_monthly_org), (SELECT COUNT(*) FROM rollup_daily_model);";
    using var r = size.ExecuteReader();
    r.Read();
    Console.WriteLine($"rollup rows: hourly {r.GetInt64(0):N0}, daily {r.GetInt64(1):N0}, hourly_org {r.GetInt64(2):N0}, daily_org {r.GetInt64(3):N0}, weekly {r.GetInt64(4):N0}, weekly_org {r.GetInt64(5):N0}, monthly {r.GetInt64(6):N0}, monthly_org {r.GetInt64(7):N0}, daily_model {r.GetInt64(8):N0}; db {new FileInfo(db.Path).Length / 1048576:N0} MiB");
}
if (opts.ContainsKey("generate-only")) return 0;

// Keys for the people whose pages are timed (admin uses the admin token).
var keys = new SqliteKeyStore(db, TimeProvider.System);
var developer = org.People[7];
var lead = org.People[20];
string Key(Org.Person p) => keys.Create(p.Name, p.Team).Secret;
var devKey = Key(developer);
var leadKey = Key(lead);
Environment.SetEnvironmentVariable("TOKENOPS_BENCH_ADMIN", "bench-admin-token");
var options = new GatewayOptions { DataDirectory = dir, AdminTokenEnv = "TOKENOPS_BENCH_ADMIN" };
options.Dashboard.TeamLeads[lead.Team] = [lead.Name];
await using var app = await GatewayHost.StartAsync(new GatewaySettings { Options = options, Urls = ["http://127.0.0.1:0"] });
using var http = new HttpClient { BaseAddress = app.BaseUrl, Timeout = TimeSpan.FromSeconds(60) };

var admin = new AuthenticationHeaderValue("Bearer", "bench-admin-token");
var dev = new AuthenticationHeaderValue("Bearer", devKey);
var leadAuth = new AuthenticationHeaderValue("Bearer", leadKey);
var cursor = await FirstCursorAsync(http, admin);
var calls = new (string Name, string Path, AuthenticationHeaderValue Auth)[]
{
    ("overview 30d (admin)", "/api/dashboard/overview?period=30d", admin),
    ("overview 90d (admin)", "/api/dashboard/overview?period=90d", admin),
    ("overview today (admin)", "/api/dashboard/overview?period=today", admin),
    ("overview 30d model filter", "/api/dashboard/overview?period=30d&model=gpt-4o", admin),
    ("team 30d (lead)", $"/api/dashboard/team/{lead.Team}?period=30d", leadAuth),
    ("team 90d (admin)", $"/api/dashboard/team/{org.Teams[0]}?period=90d", admin),
    ("person 30d (developer, own)", $"/api/dashboard/person/{developer.Name}?period=30d", dev),
    ("person 90d (admin)", $"/api/dashboard/person/{org.People[3].Name}?period=90d", admin),
    ("requests 30d (admin, newest 100)", "/api/dashboard/requests?period=30d", admin),
    ("requests page 2 (keyset cursor)", "/api/dashboard/requests?period=30d&cursor=" + Uri.EscapeDataString(cursor), admin),
    ("requests team+model+error filter", $"/api/dashboard/requests?period=30d&team={org.Teams[1]}&model=gpt-4o-mini&status=error", admin),
    ("requests (developer, own)", "/api/dashboard/requests?period=30d", dev),
    ("requests (lead, team)", "/api/dashboard/requests?period=30d", leadAuth),
    ("savings 30d (admin)", "/api/dashboard/savings?period=30d", admin),
    ("savings 30d (developer, team)", "/api/dashboard/savings?period=30d", dev),
    ("budgets", "/api/dashboard/budgets", admin),
    ("filters 30d (admin)", "/api/dashboard/filters?period=30d", admin),
    ("feed poker", "/api/dashboard/feed/poker", admin),
    ("me", "/api/dashboard/me", dev),
};
Console.WriteLine();
Console.WriteLine($"ledger rows: {rows:N0}; {iterations} timed calls per endpoint after 3 warm-ups, one client, sequential");
Console.WriteLine();
Console.WriteLine("| endpoint | p50 ms | p95 ms | max ms | bytes |");
Console.WriteLine("| --- | ---: | ---: | ---: | ---: |");
var worstP95 = 0.0;
foreach (var (name, path, auth) in calls)
{
    var times = new List<double>();
    long bytes = 0;
    for (var i = 0; i < iterations + 3; i++)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Authorization = auth;
        var sw = Stopwatch.StartNew();
        using var response = await http.SendAsync(request);
        var body = await response.Content.ReadAsByteArrayAsync();
        sw.Stop();
        if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"{name}: {(int)response.StatusCode} {System.Text.Encoding.UTF8.GetString(body)}");
        bytes = body.Length;
        if (i >= 3) times.Add(sw.Elapsed.TotalMilliseconds);
    }
    times.Sort();
    double P(double q) => times[Math.Min(times.Count - 1, (int)Math.Ceiling(q * times.Count) - 1)];
    worstP95 = Math.Max(worstP95, P(0.95));
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {name} | {P(0.5):0.0} | {P(0.95):0.0} | {times[^1]:0.0} | {bytes:N0} |"));
}
Console.WriteLine();
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"worst p95: {worstP95:0.0} ms ({(worstP95 <= 100 ? "within" : "OVER")} the 100 ms target)"));
SqliteConnection.ClearAllPools();
return worstP95 <= 100 ? 0 : 1;

static async Task<string> FirstCursorAsync(HttpClient http, AuthenticationHeaderValue admin)
{
    using var request = new HttpRequestMessage(HttpMethod.Get, "/api/dashboard/requests?period=30d");
    request.Headers.Authorization = admin;
    using var response = await http.SendAsync(request);
    using var doc = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync());
    return doc.RootElement.GetProperty("nextCursor").GetString() ?? throw new InvalidOperationException("no second page");
}

static void SqlGenerate(SqliteDatabase db, Org org, long total, int days, DateTimeOffset now)
{
    var catalog = BundledCatalog.Load();
    var sw = Stopwatch.StartNew();
    using var c = db.Open();
    void Exec(string sql)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        cmd.CommandTimeout = 0;
        cmd.ExecuteNonQuery();
    }
    Exec("PRAGMA cache_size = -1048576; PRAGMA temp_store = MEMORY; PRAGMA synchronous = OFF;");
    // Per-token prices in nano-USD (exact for these models' linear rates), people with their team, usual project and models.
    Exec("CREATE TEMP TABLE m (idx INTEGER PRIMARY KEY, name TEXT, provider TEXT, inp INTEGER, cr INTEGER, outp INTEGER);" +
         "CREATE TEMP TABLE p (idx INTEGER PRIMARY KEY, name TEXT, team TEXT, project TEXT, alt_project TEXT, m1 INTEGER, m2 INTEGER, f0 INTEGER);");
    using (var tx = c.BeginTransaction())
    {
        for (var i = 0; i < org.Models.Count; i++)
        {
            catalog.TryGet(org.Models[i].Name, out var price);
            var one = CostCalculator.Compute(price!, new TokenUsage { UncachedInput = 1_000_000 });
            var cr = CostCalculator.Compute(price!, new TokenUsage { CacheRead = 1_000_000 });
            var op = CostCalculator.Compute(price!, new TokenUsage { Output = 1_000_000 });
            using var cmd = c.CreateCommand();
            cmd.Transaction = tx;
            cmd.CommandText = "INSERT INTO m VALUES ($i, $n, $p, $in, $cr, $out);";
            cmd.Parameters.AddWithValue("$i", i); cmd.Parameters.AddWithValue("$n", org.Models[i].Name); cmd.Parameters.AddWithValue("$p", org.Models[i].Provider);
            cmd.Parameters.AddWithValue("$in", NanoUsd.FromUsd(one.Total) / 1_000_000); cmd.Parameters.AddWithValue("$cr", NanoUsd.FromUsd(cr.Total) / 1_000_000);
            cmd.Parameters.AddWithValue("$out", NanoUsd.FromUsd(op.Total) / 1_000_000);
            cmd.ExecuteNonQuery();
        }
        for (var i = 0; i < org.People.Count; i++)
        {
            var person = org.People[i];
            var projects = org.ProjectsOf[person.Team];
            using var cmd = c.CreateCommand();
            cmd.Transaction = tx;
            cmd.CommandText = "INSERT INTO p VALUES ($i, $n, $t, $pr, $alt, $m1, $m2, $f0);";
            cmd.Parameters.AddWithValue("$i", i); cmd.Parameters.AddWithValue("$n", person.Name); cmd.Parameters.AddWithValue("$t", person.Team);
            cmd.Parameters.AddWithValue("$pr", person.Project); cmd.Parameters.AddWithValue("$alt", projects[(i + 1) % projects.Count]);
            cmd.Parameters.AddWithValue("$m1", org.Models.IndexOf(person.Primary)); cmd.Parameters.AddWithValue("$m2", org.Models.IndexOf(person.Secondary));
            cmd.Parameters.AddWithValue("$f0", person.Name.Length % 3);
            cmd.ExecuteNonQuery();
        }
        tx.Commit();
    }
    // Secondary indexes are dropped for the load and rebuilt after (same definitions as the migrations).
    Exec("DROP INDEX ledger_person; DROP INDEX ledger_team; DROP INDEX ledger_project; DROP INDEX ledger_model; DROP INDEX ledger_degraded; " +
         "DROP INDEX ledger_errors; DROP INDEX ledger_team_errors;");
    var start = now.AddDays(-days).ToUnixTimeMilliseconds() / 1000.0;
    var span = days * 86400.0 - 1;
    var features = string.Join(" ", org.Features.Select((f, i) => $"WHEN {i} THEN '{f}'"));
    // h1..h4: deterministic pseudo-random numbers from the row number (multiplicative hashing).
    var sql = string.Create(CultureInfo.InvariantCulture, $"""
        WITH RECURSIVE seq(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM seq WHERE i < {total - 1}),
        r AS (SELECT i, (i * 2654435761 + 97) % 1000003 AS h1, (i * 40503 + 7) % 999983 AS h2, (i * 2246822519 + 3) % 1000033 AS h3,
                     (i * 3266489917 + 11) % 999979 AS h4 FROM seq),
        x AS (SELECT r.*, p.name AS person, p.team, CASE WHEN h2 % 10 < 8 THEN p.project ELSE p.alt_project END AS project,
                     CASE WHEN h3 % 100 < 70 THEN p.m1 WHEN h3 % 100 < 95 THEN p.m2 ELSE h3 % {org.Models.Count} END AS midx,
                     p.f0 + h4 % 3 AS fidx,
                     200 + h1 % 6000 AS unc, CASE WHEN h2 % 10 < 3 THEN 1000 + h3 % 20000 ELSE 0 END AS cread, 50 + h4 % 1500 AS outt,
                     CASE WHEN h1 % 100 < 97 THEN 'Ok' WHEN h1 % 100 < 99 THEN 'ProviderError' ELSE 'ClientAborted' END AS outcome,
                     {start} + i * {span} / {total} AS t
              FROM r JOIN p ON p.idx = r.h1 % {org.People.Count})
        INSERT INTO ledger (id, started_at, ended_at, route, key_id, person, team, project, feature, provider, requested_model, served_model,
            uncached_input_tokens, cache_read_tokens, cache_write_5m_tokens, cache_write_1h_tokens, output_tokens, reasoning_tokens, service_tier,
            uncached_input_nanos, cache_read_nanos, cache_write_5m_nanos, cache_write_1h_nanos, output_nanos, reasoning_nanos, cost_nanos,
            catalog_version, streamed, estimated, status, outcome, error_code, latency_ms, ttft_ms, provider_request_id, source, budget_action)
        SELECT printf('evt_%010d', i), strftime('%Y-%m-%dT%H:%M:%f', t, 'unixepoch') || '0000Z',
            strftime('%Y-%m-%dT%H:%M:%f', t + 0.3 + (h2 % 4000) / 1000.0, 'unixepoch') || '0000Z',
            CASE m.provider WHEN 'anthropic' THEN 'anthropic.messages' ELSE 'openai.chat' END, 'key_' || person, person, team, project,
            CASE fidx {features} END, m.provider,
            CASE WHEN m.name = 'gpt-4o-mini' AND h4 % 200 = 0 THEN 'gpt-4o' ELSE m.name END, m.name,
            unc, cread, 0, 0, outt, 0, 'Standard',
            CASE WHEN outcome = 'Ok' THEN unc * m.inp ELSE 0 END, CASE WHEN outcome = 'Ok' THEN cread * m.cr ELSE 0 END, 0, 0,
            CASE WHEN outcome = 'Ok' THEN outt * m.outp ELSE 0 END, 0,
            CASE WHEN outcome = 'Ok' THEN unc * m.inp + cread * m.cr + outt * m.outp ELSE 0 END,
            NULL, 0, 0, CASE outcome WHEN 'Ok' THEN 200 WHEN 'ProviderError' THEN 500 ELSE 499 END, outcome, NULL, 300 + h2 % 4000, NULL, NULL, 'gateway',
            CASE WHEN m.name = 'gpt-4o-mini' AND h4 % 200 = 0 THEN 'degraded:gpt-4o->gpt-4o-mini' ELSE NULL END
        FROM x JOIN m ON m.idx = x.midx;
        """);
    using (var tx = c.BeginTransaction())
    {
        using var cmd = c.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = sql;
        cmd.CommandTimeout = 0;
        cmd.ExecuteNonQuery();
        tx.Commit();
    }
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"inserted {total:N0} ledger rows in {sw.Elapsed.TotalSeconds:0} s"));
    Exec("""
        CREATE INDEX IF NOT EXISTS ledger_person ON ledger(person, started_at);
        CREATE INDEX IF NOT EXISTS ledger_team ON ledger(team, started_at);
        CREATE INDEX IF NOT EXISTS ledger_project ON ledger(project, started_at);
        CREATE INDEX IF NOT EXISTS ledger_model ON ledger(served_model, started_at);
        CREATE INDEX IF NOT EXISTS ledger_degraded ON ledger(started_at) WHERE budget_action LIKE 'degraded%';
        CREATE INDEX IF NOT EXISTS ledger_errors ON ledger(started_at) WHERE outcome <> 'Ok';
        CREATE INDEX IF NOT EXISTS ledger_team_errors ON ledger(team, started_at) WHERE outcome <> 'Ok';
        """);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"indexes rebuilt at {sw.Elapsed.TotalSeconds:0} s"));
    LedgerRollups.Rebuild(c);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"rollups rebuilt (backfill SQL) at {sw.Elapsed.TotalSeconds:0} s"));
    Exec("PRAGMA wal_checkpoint(TRUNCATE); ANALYZE;");
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"checkpoint + ANALYZE done at {sw.Elapsed.TotalSeconds:0} s"));
}

static void Generate(SqliteLedgerStore store, Org org, long total, int days, DateTimeOffset now)
{
    var catalog = BundledCatalog.Load();
    var prices = org.Models.ToDictionary(m => m.Name, m => catalog.TryGet(m.Name, out var p) ? p : throw new InvalidOperationException(m.Name));
    var rng = new Random(20261123);
    var start = now.AddDays(-days);
    var span = (now - start).Ticks - TimeSpan.TicksPerSecond;
    const int Batch = 50_000;
    var sw = Stopwatch.StartNew();
    var batch = new List<LedgerEntry>(Batch);
    for (long i = 0; i < total; i++)
    {
        var person = org.People[rng.Next(org.People.Count)];
        var roll = rng.NextDouble();
        var model = roll < 0.7 ? person.Primary : roll < 0.95 ? person.Secondary : org.Models[rng.Next(org.Models.Count)];
        var project = rng.NextDouble() < 0.8 ? person.Project : org.ProjectsOf[person.Team][rng.Next(org.ProjectsOf[person.Team].Count)];
        var cached = rng.NextDouble() < 0.3;
        var usage = new TokenUsage
        {
            UncachedInput = 200 + rng.Next(6000),
            CacheRead = cached ? 1000 + rng.Next(20000) : 0,
            Output = 50 + rng.Next(1500),
        };
        var outcomeRoll = rng.NextDouble();
        var outcome = outcomeRoll < 0.97 ? LedgerOutcome.Ok : outcomeRoll < 0.99 ? LedgerOutcome.ProviderError : LedgerOutcome.ClientAborted;
        var degraded = rng.NextDouble() < 0.005 && model.Name == "gpt-4o-mini";
        var at = start.AddTicks((long)((decimal)span * i / total));
        batch.Add(new LedgerEntry
        {
            Id = "evt_" + i.ToString("D10", CultureInfo.InvariantCulture),
            StartedAt = at,
            EndedAt = at.AddMilliseconds(300 + rng.Next(4000)),
            Route = model.Provider == "anthropic" ? "anthropic.messages" : "openai.chat",
            KeyId = "key_" + person.Name,
            Person = person.Name,
            Team = person.Team,
            Project = project,
            Feature = org.Features[rng.Next(3) + (person.Name.Length % 3)],
            Provider = model.Provider,
            RequestedModel = degraded ? "gpt-4o" : model.Name,
            ServedModel = model.Name,
            Usage = usage,
            Cost = outcome == LedgerOutcome.Ok ? CostCalculator.Compute(prices[model.Name], usage) : CostBreakdown.Zero,
            Status = outcome == LedgerOutcome.Ok ? 200 : outcome == LedgerOutcome.ProviderError ? 500 : 499,
            Outcome = outcome,
            LatencyMs = 300 + rng.Next(4000),
            BudgetAction = degraded ? "degraded:gpt-4o->gpt-4o-mini" : null,
        });
        if (batch.Count == Batch || i == total - 1)
        {
            store.Write(batch);
            batch.Clear();
            if ((i + 1) % 1_000_000 == 0 || i == total - 1)
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"generated {i + 1:N0} rows in {sw.Elapsed.TotalSeconds:0} s ({(i + 1) / sw.Elapsed.TotalSeconds:N0} rows/s)"));
        }
    }
}

internal sealed class Org
{
    public sealed record Model(string Name, string Provider);
    public sealed record Person(string Name, string Team, string Project, Model Primary, Model Secondary);

    public required List<string> Teams { get; init; }
    public required List<Person> People { get; init; }
    public required List<Model> Models { get; init; }
    public required Dictionary<string, List<string>> ProjectsOf { get; init; }
    public required List<string> Features { get; init; }

    /// <summary>12 teams of 20 people, 2-3 projects per team, 8 models on 2 providers, 8 features. Deterministic.</summary>
    public static Org Create()
    {
        var rng = new Random(7);
        var models = new List<Model>
        {
            new("gpt-4o", "openai"), new("gpt-4o-mini", "openai"), new("gpt-4.1", "openai"), new("gpt-4.1-mini", "openai"),
            new("o3-mini", "openai"), new("claude-sonnet-4-5", "anthropic"), new("claude-haiku-4-5", "anthropic"), new("claude-opus-4-1", "anthropic"),
        };
        var teams = Enumerable.Range(0, 12).Select(t => "team-" + (char)('a' + t)).ToList();
        var projects = teams.ToDictionary(t => t, t => Enumerable.Range(0, 2 + rng.Next(2)).Select(p => $"{t}-proj{p}").ToList());
        var people = new List<Person>();
        foreach (var team in teams)
            for (var p = 0; p < 20; p++)
                people.Add(new Person($"{team[5..]}-dev{p:D2}", team, projects[team][rng.Next(projects[team].Count)], models[rng.Next(models.Count)], models[rng.Next(models.Count)]));
        return new Org
        {
            Teams = teams, People = people, Models = models, ProjectsOf = projects,
            Features = ["review", "autocomplete", "chat", "tests", "docs", "triage", "refactor", "search"],
        };
    }
}

internal static class Args
{
    public static Dictionary<string, string> Parse(string[] args)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Length; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal)) continue;
            var name = args[i][2..];
            map[name] = i + 1 < args.Length && !args[i + 1].StartsWith("--", StringComparison.Ordinal) ? args[++i] : "true";
        }
        return map;
    }
}
