using System.Globalization;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using TokenOps.Core.Exports;
using TokenOps.Core.Ledger;
using TokenOps.Core.Metering;
using TokenOps.Core.Outcomes;
using TokenOps.Core.Pricing;
using TokenOps.Gateway.Tests.Infrastructure;
using TokenOps.Storage.Sqlite;

namespace TokenOps.Gateway.Tests.Outcomes;

/// <summary>
/// The FOCUS export's x_outcome and `tokenops report --by outcome` on a ledger whose links are known by hand: explicit
/// PR, ticket and feature attribution, a PR's head branch, author windows, unlinked spend, rows outside the period, and
/// an outcome completing after the period. Both agree with the outcomes report and reconcile with the ledger.
/// </summary>
public sealed class OutcomeSpendCliTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "tokenops-outcome-spend", Guid.NewGuid().ToString("N"));

    private static DateTimeOffset Oct(int day, int hour = 9) => new(2026, 10, day, hour, 0, 0, TimeSpan.Zero);

    private const string Pr = "github-pr:acme/shop#42";
    private const string Ticket = "jira:PROJ-7";
    private const string Feature = "manual:checkout-v2";
    private const string LateTicket = "jira:PROJ-9";

    private static readonly Outcome[] Outcomes =
    [
        new() { Source = "github-pr", SourceId = "acme/shop#42", Type = OutcomeType.Pr, Title = "Cart", Person = "ada", Team = "core", Repository = "acme/shop",
            Branch = "feat/cart", Key = "acme/shop#42", StartedAt = Oct(10, 0), CompletedAt = Oct(12, 0) },
        new() { Source = "jira", SourceId = "PROJ-7", Type = OutcomeType.Ticket, Title = "Search, \"faster\"", Person = "zoe", Key = "PROJ-7", CompletedAt = Oct(20, 0) },
        new() { Source = "manual", SourceId = "checkout-v2", Type = OutcomeType.Feature, Title = "Checkout v2", Person = "bob", Key = "checkout-v2",
            StartedAt = Oct(1, 0), CompletedAt = Oct(25, 0) },
        // Completes in November: October spend that names it links to it all the same.
        new() { Source = "jira", SourceId = "PROJ-9", Type = OutcomeType.Ticket, Title = "Refunds", Person = "zoe", Key = "PROJ-9",
            CompletedAt = new DateTimeOffset(2026, 11, 5, 0, 0, 0, TimeSpan.Zero) },
    ];

    /// <summary>(row, expected outcome id or null, expected rule).</summary>
    private static readonly (LedgerEntry Row, string? Outcome, string? Rule)[] Rows =
    [
        (Row("r01", "ada", Oct(11), 1_234_567_891, pr: "acme/shop#42"), Pr, "explicit"),
        (Row("r02", "ada", Oct(11, 12), 2_000_000_003), Pr, "author_window"), // inside the PR's [opened, merged]
        (Row("r03", "ada", Oct(5), 777_000_001, tags: "ticket=PROJ-7"), Ticket, "explicit"), // someone else's ticket, named by tag
        (Row("r04", "bob", Oct(15), 3_141_592_653, feature: "checkout-v2"), Feature, "explicit"),
        (Row("r05", "carl", Oct(15), 999_999_999), null, null), // no outcome of carl's
        (Row("r06", "ada", Oct(20), 123_456_789), null, null), // after ada's only outcome completed
        (Row("r07", "bob", Oct(3), 55_555_555), Feature, "author_window"),
        (Row("r08", "dan", Oct(11), 42_424_242, tags: "branch=feat/cart,repo=acme/shop"), Pr, "branch"),
        (Row("r09", "carl", Oct(16), 0, refused: true), null, null), // a refusal: a request, no cost, no FOCUS row
        (Row("r10", "eve", Oct(26), 808_080_808, ticket: "proj-9"), LateTicket, "explicit"), // key is case-insensitive
    ];

    // Outside October: never exported nor reported for it, although it names the PR.
    private static readonly LedgerEntry September = Row("r00", "ada", new DateTimeOffset(2026, 9, 30, 23, 59, 59, TimeSpan.Zero), 5_000_000_000, pr: "acme/shop#42");

    private static LedgerEntry Row(string id, string person, DateTimeOffset at, long nanos, string? pr = null, string? tags = null, string? feature = null,
        string? ticket = null, bool refused = false) => new()
    {
        Id = id, StartedAt = at, EndedAt = at.AddSeconds(2), Route = "openai.chat", Person = person, Team = person == "ada" ? "core" : "web",
        PullRequest = pr, Tags = tags, Feature = feature, Ticket = ticket, Provider = "openai", RequestedModel = "gpt-4o", ServedModel = "gpt-4o",
        Usage = refused ? TokenUsage.Zero : new TokenUsage { UncachedInput = 100, Output = 20 },
        Cost = refused ? CostBreakdown.Zero : new CostBreakdown { UncachedInput = NanoUsd.ToUsd(nanos - 7), Output = NanoUsd.ToUsd(7) },
        Status = refused ? 429 : 200, Outcome = refused ? LedgerOutcome.Refused : LedgerOutcome.Ok,
    };

    private void Seed()
    {
        var database = new SqliteDatabase(_dir);
        new SqliteLedgerStore(database).Write([.. Rows.Select(r => r.Row), September]);
        var outcomes = new SqliteOutcomeStore(database, TimeProvider.System);
        foreach (var o in Outcomes) Assert.True(outcomes.Add(o));
        SqliteConnection.ClearAllPools();
    }

    private static long Nanos(string? outcome) => Rows.Where(r => r.Outcome == outcome).Sum(r => r.Row.CostNanos);

    private static decimal Money(string s) => decimal.Parse(s, NumberStyles.AllowDecimalPoint | NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);

    [Fact]
    public async Task ExportFocus_FillsXOutcomeByTheLinkingRules_AndPerOutcomeTotalsEqualTheOutcomesReport()
    {
        Seed();
        var (code, stdout, stderr) = await CliProcess.RunAsync("export", "focus", "--period", "2026-10", "--data", _dir);
        Assert.True(code == 0, stderr);
        var csv = CsvWriter.Read(new StringReader(stdout)).ToList();
        Assert.Equal(FocusExport.Columns, csv[0]);
        var rows = csv.Skip(1).Select(r => FocusExport.Columns.Zip(r).ToDictionary(p => p.First, p => p.Second)).ToList();

        // Every FOCUS row of a request carries the request's outcome, type and rule; r09 (no cost, no tokens) has none.
        var expected = Rows.Where(r => r.Row.CostNanos != 0).ToDictionary(r => r.Row.Id);
        Assert.Equal(expected.Keys.Order(), rows.Select(r => r["x_request_id"]).Distinct().Order());
        Assert.Equal(expected.Count * 2, rows.Count); // input and output class per request
        foreach (var r in rows)
        {
            var (row, outcome, rule) = expected[r["x_request_id"]];
            Assert.True((outcome ?? "") == r["x_outcome"], $"{row.Id}: x_outcome '{r["x_outcome"]}', expected '{outcome}'");
            Assert.Equal(rule ?? "", r["x_outcome_rule"]);
            var type = outcome is null ? "" : OutcomeTypes.Name(Outcomes.Single(o => o.Id == outcome).Type);
            Assert.Equal(type, r["x_outcome_type"]);
        }
        Assert.Equal(Rows.Sum(r => r.Row.CostNanos), NanoUsd.FromUsd(rows.Sum(r => Money(r["BilledCost"]))));

        // Totals per x_outcome are the outcomes report's cost per outcome, for outcomes completed in the period …
        var billed = rows.GroupBy(r => r["x_outcome"]).ToDictionary(g => g.Key, g => g.Sum(r => Money(r["BilledCost"])));
        Assert.Equal(5, billed.Count); // four outcomes and unlinked ("")
        var (rc, reportJson, reportErr) = await CliProcess.RunAsync("outcomes", "report", "--period", "2026-10", "--format", "json", "--data", _dir);
        Assert.True(rc == 0, reportErr);
        var report = JsonDocument.Parse(reportJson).RootElement;
        var costs = report.GetProperty("outcomes").EnumerateArray().ToDictionary(o => o.GetProperty("id").GetString()!, o => o.GetProperty("costUsd").GetDecimal());
        Assert.Equal(new[] { Feature, Pr, Ticket }.Order(StringComparer.Ordinal), costs.Keys.Order(StringComparer.Ordinal)); // not PROJ-9: it completed in November
        foreach (var (id, cost) in costs)
        {
            Assert.Equal(cost, billed[id]);
            Assert.Equal(NanoUsd.ToUsd(Nanos(id)), cost);
        }
        // … the period's linked and unlinked spend is the report's, to the nano-dollar …
        var spend = report.GetProperty("spend");
        Assert.Equal(Nanos(null), NanoUsd.FromUsd(billed[""]));
        Assert.Equal(spend.GetProperty("unlinkedNanos").GetInt64(), NanoUsd.FromUsd(billed[""]));
        Assert.Equal(spend.GetProperty("linkedNanos").GetInt64(), NanoUsd.FromUsd(billed.Where(p => p.Key != "").Sum(p => p.Value)));
        // … and an outcome completing after the period gets the same figure from its own month's report.
        var (nc, novJson, novErr) = await CliProcess.RunAsync("outcomes", "report", "--period", "2026-11", "--format", "json", "--data", _dir);
        Assert.True(nc == 0, novErr);
        var late = JsonDocument.Parse(novJson).RootElement.GetProperty("outcomes").EnumerateArray().Single();
        Assert.Equal(LateTicket, late.GetProperty("id").GetString());
        Assert.Equal(late.GetProperty("costUsd").GetDecimal(), billed[LateTicket]);

        Assert.Contains("10 ledger rows, 18 FOCUS rows", stderr, StringComparison.Ordinal);
        Assert.Contains($"linked to 4 outcomes {FocusExport.Money(NanoUsd.ToUsd(Rows.Where(r => r.Outcome is not null).Sum(r => r.Row.CostNanos)))} USD", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReportByOutcome_IsSpendPerBusinessOutcomePlusUnlinked_ReconcilingWithTheLedger_InJsonCsvAndTable()
    {
        Seed();
        var ledger = new SqliteLedgerStore(new SqliteDatabase(_dir)).Read(Oct(1, 0), Oct(1, 0).AddMonths(1));
        Assert.Equal(Rows.Length, ledger.Count);
        var total = ledger.Sum(e => e.CostNanos);

        var (code, stdout, stderr) = await CliProcess.RunAsync("report", "--by", "outcome", "--period", "2026-10", "--format", "json", "--data", _dir);
        Assert.True(code == 0, stderr);
        var json = JsonDocument.Parse(stdout).RootElement;
        Assert.Equal("outcome", json.GetProperty("by").GetString());
        var rows = json.GetProperty("rows").EnumerateArray().ToList();
        Assert.Equal(5, rows.Count);
        foreach (var id in new[] { Pr, Ticket, Feature, LateTicket })
        {
            var row = Assert.Single(rows, r => r.GetProperty("key").GetString() == id);
            var outcome = Outcomes.Single(o => o.Id == id);
            Assert.Equal(Nanos(id), row.GetProperty("cost_nanos").GetInt64());
            Assert.Equal(NanoUsd.ToUsd(Nanos(id)), row.GetProperty("cost_usd").GetDecimal());
            Assert.Equal(Rows.Count(r => r.Outcome == id), row.GetProperty("requests").GetInt64());
            Assert.Equal(OutcomeTypes.Name(outcome.Type), row.GetProperty("type").GetString());
            Assert.Equal(outcome.Title, row.GetProperty("title").GetString());
            Assert.Equal(outcome.Person, row.GetProperty("person").GetString());
            Assert.Equal(outcome.CompletedAt, row.GetProperty("completed_at").GetDateTimeOffset());
            Assert.False(row.GetProperty("unlinked").GetBoolean());
        }
        var unlinked = rows[^1];
        Assert.Equal("(unlinked)", unlinked.GetProperty("key").GetString());
        Assert.True(unlinked.GetProperty("unlinked").GetBoolean());
        Assert.Equal(JsonValueKind.Null, unlinked.GetProperty("id").ValueKind);
        Assert.Equal(Nanos(null), unlinked.GetProperty("cost_nanos").GetInt64());
        Assert.Equal(3, unlinked.GetProperty("requests").GetInt64()); // r05, r06 and the refusal r09
        // Costliest first; linked + unlinked = the period's ledger total, to the nano-dollar; r00 (September) is not in it.
        var linkedCosts = rows.SkipLast(1).Select(r => r.GetProperty("cost_nanos").GetInt64()).ToList();
        Assert.Equal(linkedCosts.OrderDescending(), linkedCosts);
        Assert.Equal(total, json.GetProperty("total_cost_nanos").GetInt64());
        Assert.Equal(total, rows.Sum(r => r.GetProperty("cost_nanos").GetInt64()));
        Assert.Equal(total, json.GetProperty("linked_cost_nanos").GetInt64() + json.GetProperty("unlinked_cost_nanos").GetInt64());
        Assert.Equal(Rows.Length, json.GetProperty("total_requests").GetInt64());
        Assert.True(json.GetProperty("reconciles").GetBoolean());

        // The ledger-status breakdown lives on as --by status, from the rollups, with the same total.
        (code, stdout, stderr) = await CliProcess.RunAsync("report", "--by", "status", "--period", "2026-10", "--format", "json", "--data", _dir);
        Assert.True(code == 0, stderr);
        var status = JsonDocument.Parse(stdout).RootElement;
        Assert.Equal("status", status.GetProperty("by").GetString());
        Assert.Equal(new[] { "Ok", "Refused" }, status.GetProperty("rows").EnumerateArray().Select(r => r.GetProperty("key").GetString()!).Order(StringComparer.Ordinal));
        Assert.Equal(total, status.GetProperty("total_cost_nanos").GetInt64());

        // CSV: one line per outcome, then the unlinked line; quoting keeps a title with a comma and quotes intact.
        (code, stdout, stderr) = await CliProcess.RunAsync("report", "--by", "outcome", "--period", "2026-10", "--format", "csv", "--data", _dir);
        Assert.True(code == 0, stderr);
        var csv = CsvWriter.Read(new StringReader(stdout)).ToList();
        Assert.Equal(new[] { "outcome", "type", "title", "person", "team", "completed_at", "requests", "cost_usd", "cost_nanos", "share" }, csv[0]);
        Assert.Equal(6, csv.Count);
        Assert.All(csv, r => Assert.Equal(10, r.Length));
        var ticket = Assert.Single(csv, r => r[0] == Ticket);
        Assert.Equal(("ticket", "Search, \"faster\"", "zoe", "2026-10-20T00:00:00Z"), (ticket[1], ticket[2], ticket[3], ticket[5]));
        Assert.Equal("(unlinked)", csv[^1][0]);
        Assert.Equal(total, csv.Skip(1).Sum(r => long.Parse(r[8], CultureInfo.InvariantCulture)));
        Assert.Equal(NanoUsd.ToUsd(total), csv.Skip(1).Sum(r => Money(r[7])));
        Assert.Equal(1m, csv.Skip(1).Sum(r => Money(r[9])), 5);

        // Filters select ledger rows; links stay the rules': ada's spend is the PR (r01, r02), the ticket she named (r03), unlinked r06.
        (code, stdout, stderr) = await CliProcess.RunAsync("report", "--by", "outcome", "--period", "2026-10", "--format", "csv", "--person", "ada", "--data", _dir);
        Assert.True(code == 0, stderr);
        var ada = CsvWriter.Read(new StringReader(stdout)).Skip(1).ToDictionary(r => r[0], r => long.Parse(r[8], CultureInfo.InvariantCulture));
        Assert.Equal(new Dictionary<string, long>
        {
            [Pr] = Rows[0].Row.CostNanos + Rows[1].Row.CostNanos, [Ticket] = Rows[2].Row.CostNanos, ["(unlinked)"] = Rows[5].Row.CostNanos,
        }, ada);

        // Table: every outcome, the unlinked line and the reconciliation check.
        (code, stdout, stderr) = await CliProcess.RunAsync("report", "--by", "outcome", "--period", "2026-10", "--data", _dir);
        Assert.True(code == 0, stderr);
        foreach (var id in new[] { Pr, Ticket, Feature, LateTicket, "(unlinked)" }) Assert.Contains(id, stdout, StringComparison.Ordinal);
        var usd = NanoUsd.ToUsd(total).ToString("0.000000000", CultureInfo.InvariantCulture);
        Assert.Contains($"= {usd} USD = ledger total {usd} USD", stdout, StringComparison.Ordinal);
        Assert.Contains($"4 outcomes, {Rows.Length} requests", stdout, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }
}
