using System.Globalization;
using Microsoft.Data.Sqlite;
using Npgsql;
using TokenOps.Core.Alerts;
using TokenOps.Core.Budgets;
using TokenOps.Core.Ledger;
using TokenOps.Core.Metering;
using TokenOps.Core.Pricing;
using TokenOps.Core.Outcomes;
using TokenOps.Storage.Migration;
using TokenOps.Storage.Sqlite;

namespace TokenOps.Storage.Tests.Migration;

/// <summary>
/// An embedded installation filled through the real SQLite stores (ledger rows for several people, teams and models,
/// keys, budgets, alerts and deliveries, outcomes, import state), plus helpers that read any table on either side.
/// </summary>
public sealed class SqliteInstallation : IDisposable
{
    public string Directory { get; } = Path.Combine(Path.GetTempPath(), "tokenops-migrate-" + Guid.NewGuid().ToString("N")[..8]);
    public SqliteDatabase Database { get; }

    public static readonly DateTimeOffset T0 = new(2026, 3, 2, 9, 15, 0, TimeSpan.Zero);

    public SqliteInstallation(int ledgerRows = 120)
    {
        Database = new SqliteDatabase(Directory);
        var time = TimeProvider.System;
        var keys = new SqliteKeyStore(Database, time);
        var team = new[] { "core", "search", "data" };
        var people = new[] { "ada", "grace", "linus", "barbara", "ken" };
        for (var i = 0; i < people.Length; i++) keys.Create(people[i], team[i % team.Length]);
        var revoked = keys.Create("ada", "core").Key;
        keys.Revoke(revoked.Id);

        using (var ledger = new SqliteLedgerStore(Database))
        {
            ledger.Write(Enumerable.Range(0, ledgerRows).Select(n => Row(n, people[n % people.Length], team[n % people.Length % team.Length])).ToList());
            // Imported rows (another source) go through Merge, as `tokenops import` does.
            ledger.Merge(Enumerable.Range(0, 5).Select(n => Row(10_000 + n, "ken", "search") with { Source = "claude-code", SessionId = "cc-1" }).ToList());
        }

        var budgets = new SqliteBudgetStore(Database, time);
        budgets.Set(new StoredBudget("team-core", BudgetLevel.Team, "core", 5_000_000_000, "monthly", "Europe/Paris", BudgetMode.Soft, SoftAction.Degrade, true, 1_250_000_001, T0));
        budgets.Set(new StoredBudget("org", BudgetLevel.Organisation, "acme", 90_000_000_000, "monthly", "UTC", BudgetMode.Hard, SoftAction.Warn, false, 0, T0));

        var alerts = new SqliteAlertStore(Database);
        var start = new DateTimeOffset(2026, 3, 1, 0, 0, 0, TimeSpan.Zero);
        foreach (var threshold in new[] { 50, 80 })
        {
            var key = Alert.KeyFor("team-core", start, AlertKind.Threshold, threshold);
            alerts.TryAdd(new Alert(Alert.IdFor(key), key, AlertKind.Threshold, "team-core", BudgetLevel.Team, "core", threshold, 42.123456789m, 50m,
                null, start, start.AddMonths(1), $"core reached {threshold}%", T0.AddHours(threshold)), ["https://a.example/hook", "https://b.example/hook"]);
        }
        var first = Alert.IdFor(Alert.KeyFor("team-core", start, AlertKind.Threshold, 50));
        alerts.MarkDelivered(first, "https://a.example/hook", T0.AddHours(51));
        alerts.MarkFailed(first, "https://b.example/hook", T0.AddHours(52), "HTTP 503");

        var outcomes = new SqliteOutcomeStore(Database, time);
        for (var i = 0; i < 4; i++)
            outcomes.Add(new Outcome
            {
                Source = "github", SourceId = "acme/shop#" + i, Type = OutcomeType.Pr, Title = "Fix " + i, Person = people[i], Team = "core",
                Project = "atlas", Repository = "acme/shop", Branch = "fix/" + i, Key = "acme/shop#" + i,
                StartedAt = T0.AddDays(i), CompletedAt = T0.AddDays(i + 2).AddTicks(7), ValueUsd = i == 0 ? null : 125.5m * i,
            }, deliveryId: "dlv-" + i);

        var imports = new SqliteImportState(Database);
        imports.Save("claude-code", "/home/ada/.claude/projects/a.jsonl", 4096, "2026-03-02T03:04:05.1234567Z", 4096, 17, null);
        imports.Save("codex", "/home/ken/.codex/sessions/b.jsonl", 100, "2026-03-02T03:04:05.0000000Z", 90, 3, "{\"model\":\"gpt-5\"}");
    }

    /// <summary>A ledger row with every column set; times carry 100 ns ticks (the digit timestamptz would lose).</summary>
    public static LedgerEntry Row(int n, string person, string team)
    {
        var model = (n % 3) switch { 0 => "gpt-5", 1 => "claude-sonnet-4", _ => "gpt-5-mini" };
        var at = T0.AddMinutes(37 * n).AddTicks(n + 1);
        var outcome = n % 11 == 0 ? LedgerOutcome.ProviderError : LedgerOutcome.Ok;
        return new LedgerEntry
        {
            Id = "evt_" + n.ToString("D6", CultureInfo.InvariantCulture), StartedAt = at, EndedAt = at.AddMilliseconds(812.5), Route = "openai.chat",
            KeyId = "key_" + person, Person = person, Team = team, Project = n % 2 == 0 ? "atlas" : null, Feature = "search",
            Tags = "env=prod", Provider = model.StartsWith("claude", StringComparison.Ordinal) ? "anthropic" : "openai",
            RequestedModel = model, ServedModel = n % 7 == 0 ? "gpt-5-mini" : model,
            Usage = new TokenUsage { UncachedInput = 1000 + n, CacheRead = n % 4 * 100, CacheWrite5m = 3, Output = 200 + n, Reasoning = n % 5, Tier = ServiceTier.Standard, WebSearchCalls = n % 2 },
            Cost = new CostBreakdown { UncachedInput = 0.000001237m * (n + 1), CacheRead = 0.000000007m * n, Output = 0.002m, Reasoning = 0.000000501m * n, ToolCalls = n % 2 * 0.01m },
            CatalogVersion = "2026-01-01", Streamed = n % 2 == 0, Estimated = n % 13 == 0, Status = outcome == LedgerOutcome.Ok ? 200 : 502,
            Outcome = outcome, ErrorCode = outcome == LedgerOutcome.Ok ? null : "upstream_5xx", LatencyMs = 812.25 + n / 3.0,
            TimeToFirstTokenMs = n % 3 == 0 ? null : 95.5, ProviderRequestId = "req_" + n, BudgetAction = n % 9 == 0 ? "degraded:gpt-5-mini" : null,
        };
    }

    public SqliteConnection Open() => Database.Open();

    /// <summary>Every row of a table as text (0/1 for flags, round-trip doubles), sorted: equal lists mean equal tables.</summary>
    public List<string> SqliteRows(string table)
    {
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT * FROM \"{table}\";";
        using var reader = command.ExecuteReader();
        return Dump(reader);
    }

    public static List<string> PostgresRows(NpgsqlDataSource dataSource, string table)
    {
        // The same column order as SQLite's (both schemas add columns at the end, step by step).
        using var command = dataSource.CreateCommand($"SELECT * FROM \"{table}\";");
        using var reader = command.ExecuteReader();
        return Dump(reader);
    }

    private static List<string> Dump(System.Data.Common.DbDataReader reader)
    {
        var rows = new List<string>();
        while (reader.Read())
        {
            var values = new string[reader.FieldCount];
            for (var i = 0; i < values.Length; i++)
                values[i] = reader.GetName(i) + "=" + (reader.IsDBNull(i) ? "NULL" : reader.GetValue(i) switch
                {
                    bool b => b ? "1" : "0",
                    double d => d.ToString("R", CultureInfo.InvariantCulture),
                    IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
                    var v => v.ToString(),
                });
            rows.Add(string.Join("|", values));
        }
        rows.Sort(StringComparer.Ordinal);
        return rows;
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try { System.IO.Directory.Delete(Directory, recursive: true); } catch (IOException) { }
    }
}
