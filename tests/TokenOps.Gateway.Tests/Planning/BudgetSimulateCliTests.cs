using System.Text.Json;
using Microsoft.Data.Sqlite;
using TokenOps.Core.Ledger;
using TokenOps.Core.Metering;
using TokenOps.Core.Pricing;
using TokenOps.Gateway.Pricing;
using TokenOps.Gateway.Tests.Infrastructure;
using TokenOps.Storage.Sqlite;

namespace TokenOps.Gateway.Tests.Planning;

/// <summary>
/// `tokenops budgets simulate`: a real SQLite ledger replayed through a proposed policy by the CLI; every expected figure
/// is worked out here from the rows and the catalog's prices, not read back from the command.
/// </summary>
public sealed class BudgetSimulateCliTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "tokenops-simulate", Guid.NewGuid().ToString("N"));
    private static readonly DateTimeOffset November = new(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly PriceCatalog Catalog = BundledCatalog.Load();
    private static readonly TokenUsage Usage = new() { UncachedInput = 20_000, Output = 1_500 };

    private static long Cost(string model) => NanoUsd.FromUsd(CostCalculator.Compute(Catalog.TryGet(model, out var p) ? p : throw new InvalidOperationException(model), Usage).Total);

    private static LedgerEntry Row(string id, DateTimeOffset at, string person, string team, string model) => new()
    {
        Id = id, StartedAt = at, EndedAt = at.AddSeconds(2), Route = "openai.chat", Person = person, Team = team, Project = "apollo",
        RequestedModel = model, ServedModel = model, Usage = Usage, CostNanos = Cost(model), Status = 200, Outcome = LedgerOutcome.Ok,
    };

    /// <summary>ada (payments, senior) on Sonnet, bo (growth) on GPT-4o, cy (junior) on Opus: ten requests each per day, 5-14 November, and one growth request on 2 November.</summary>
    private static List<LedgerEntry> Rows()
    {
        var rows = new List<LedgerEntry> { Row("evt_early", November.AddDays(1).AddHours(9), "bo", "growth", "gpt-4o") };
        for (var day = 4; day < 14; day++)
            for (var i = 0; i < 10; i++)
            {
                var at = November.AddDays(day).AddHours(9 + i);
                rows.Add(Row($"evt_ada_{day:D2}_{i}", at, "ada", "payments", "claude-sonnet-4-5"));
                rows.Add(Row($"evt_bo_{day:D2}_{i}", at.AddMinutes(10), "bo", "growth", "gpt-4o"));
                rows.Add(Row($"evt_cy_{day:D2}_{i}", at.AddMinutes(20), "cy", "growth", "claude-opus-4-1"));
            }
        return rows;
    }

    private const string Proposal = """
        {
          "budgets": {
            "teams": {
              "payments": { "limitUsd": 1.50, "period": "monthly", "mode": "soft", "softAction": "degrade" },
              "growth": { "limitUsd": 2.00, "period": "monthly", "mode": "hard" }
            },
            "tiers": {
              "senior": { "people": ["ada"], "degradeModel": "claude-haiku-4-5" },
              "junior": { "people": ["cy"], "allowedModels": ["gpt-4o-mini", "gpt-4o"] }
            }
          }
        }
        """;

    [Fact]
    public async Task Simulate_ReportsWhoWouldHaveBeenDegradedAndRefused_WhenFirst_AndTheSpendStopped()
    {
        var rows = Rows();
        new SqliteLedgerStore(new SqliteDatabase(_dir)).Write(rows);
        SqliteConnection.ClearAllPools();
        var proposal = Path.Combine(_dir, "proposed.json");
        await File.WriteAllTextAsync(proposal, Proposal);

        var (exit, stdout, stderr) = await CliProcess.RunAsync("budgets", "simulate", "--config", proposal, "--period", "2026-11-05..2026-11-30", "--data", _dir, "--format", "json");
        Assert.True(exit == 0, stderr);
        var json = JsonDocument.Parse(stdout).RootElement;
        var replayed = rows.Where(r => r.StartedAt >= November.AddDays(4)).ToList();
        Assert.Equal(replayed.Count, json.GetProperty("requests").GetInt64());
        JsonElement Budget(string id) => json.GetProperty("budgets").EnumerateArray().Single(b => b.GetProperty("budget").GetString() == id);

        // payments: soft 1.50 USD, degrade. ada's requests fit while the month's spend stays within the limit; from the
        // first that would pass it, each is served by Haiku (and booked at Haiku's price).
        var sonnet = Cost("claude-sonnet-4-5");
        var haiku = Cost("claude-haiku-4-5");
        var ada = replayed.Where(r => r.Person == "ada").ToList();
        var fit = (int)(NanoUsd.FromUsd(1.50m) / sonnet);
        var degraded = Budget("team:payments").GetProperty("degraded");
        Assert.Equal(ada.Count - fit, degraded.GetProperty("requests").GetInt64());
        Assert.Equal(ada[fit].Id, degraded.GetProperty("first_request").GetString());
        Assert.Equal(ada[fit].StartedAt, degraded.GetProperty("first_at").GetDateTimeOffset());
        Assert.Equal(NanoUsd.ToUsd((ada.Count - fit) * (sonnet - haiku)), degraded.GetProperty("saved_usd").GetDecimal());
        Assert.Equal(["ada"], degraded.GetProperty("people").EnumerateArray().Select(p => p.GetString()));

        // growth: hard 2.00 USD, and the 2 November request (before the replay) already counts in November. bo's GPT-4o
        // requests fit until the month's spend would pass 2.00; every later one is refused. cy's Opus requests never
        // reach the budget: the junior tier does not allow the model.
        var gpt4o = Cost("gpt-4o");
        var room = NanoUsd.FromUsd(2.00m) - gpt4o;
        var served = (int)(room / gpt4o);
        var bo = replayed.Where(r => r.Person == "bo").ToList();
        var refused = Budget("team:growth").GetProperty("refused");
        Assert.Equal(bo.Count - served, refused.GetProperty("requests").GetInt64());
        Assert.Equal(bo[served].Id, refused.GetProperty("first_request").GetString());
        Assert.Equal(NanoUsd.ToUsd((bo.Count - served) * gpt4o), refused.GetProperty("stopped_usd").GetDecimal());
        var tier = Budget("tier:junior").GetProperty("refused");
        var cy = replayed.Where(r => r.Person == "cy").ToList();
        Assert.Equal(cy.Count, tier.GetProperty("requests").GetInt64());
        Assert.Equal(cy[0].StartedAt, tier.GetProperty("first_at").GetDateTimeOffset());

        // Totals: recorded, minus what refusals stop, minus what degrades save.
        var stopped = (bo.Count - served) * gpt4o + cy.Count * Cost("claude-opus-4-1");
        Assert.Equal(NanoUsd.ToUsd(replayed.Sum(r => r.CostNanos)), json.GetProperty("recorded_usd").GetDecimal());
        Assert.Equal(NanoUsd.ToUsd(stopped), json.GetProperty("stopped_usd").GetDecimal());
        Assert.Equal(NanoUsd.ToUsd(replayed.Sum(r => r.CostNanos) - stopped - (ada.Count - fit) * (sonnet - haiku)), json.GetProperty("simulated_usd").GetDecimal());

        // People: each request once per action, however many budgets acted on it.
        var people = json.GetProperty("people").EnumerateArray().ToDictionary(p => p.GetProperty("person").GetString()!);
        Assert.Equal(bo.Count - served, people["bo"].GetProperty("refused").GetProperty("requests").GetInt64());
        Assert.Equal(cy.Count, people["cy"].GetProperty("refused").GetProperty("requests").GetInt64());
        Assert.Equal(0, people["ada"].GetProperty("refused").GetProperty("requests").GetInt64());

        // The table names them too; the CSV has a line per budget and action.
        (exit, stdout, stderr) = await CliProcess.RunAsync("budgets", "simulate", "--config", proposal, "--period", "2026-11-05..2026-11-30", "--data", _dir);
        Assert.True(exit == 0, stderr);
        Assert.Contains(stdout.Split('\n'), l => l.StartsWith("team:growth", StringComparison.Ordinal) && l.Contains(bo[served].StartedAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm"), StringComparison.Ordinal));
        Assert.Contains("refusals stop", stdout, StringComparison.Ordinal);
        (exit, stdout, _) = await CliProcess.RunAsync("budgets", "simulate", "--config", proposal, "--period", "2026-11-05..2026-11-30", "--data", _dir, "--format", "csv");
        Assert.Equal(0, exit);
        Assert.Contains($"team:growth,2.00 USD monthly hard,refused,{bo.Count - served},", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Simulate_WithoutAProposal_OrWithABadOne_ExitsTwoNamingIt()
    {
        Directory.CreateDirectory(_dir);
        var (exit, _, stderr) = await CliProcess.RunAsync("budgets", "simulate", "--config", Path.Combine(_dir, "missing.json"), "--data", _dir);
        Assert.Equal(2, exit);
        Assert.Contains("no such file", stderr, StringComparison.Ordinal);
        var bad = Path.Combine(_dir, "bad.json");
        await File.WriteAllTextAsync(bad, """{ "budgets": { "teams": { "payments": { "limitUsd": 5, "period": "fortnightly" } } } }""");
        (exit, _, stderr) = await CliProcess.RunAsync("budgets", "simulate", "--config", bad, "--data", _dir);
        Assert.Equal(2, exit);
        Assert.Contains("budgets.teams.payments.period", stderr, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}
