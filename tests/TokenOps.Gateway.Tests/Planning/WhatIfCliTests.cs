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
/// `tokenops whatif`: a real SQLite ledger repriced by the CLI onto a model from the bundled catalog; every figure is
/// worked out here from the rows with <see cref="CostCalculator"/>.
/// </summary>
public sealed class WhatIfCliTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "tokenops-whatif", Guid.NewGuid().ToString("N"));
    private static readonly PriceCatalog Catalog = BundledCatalog.Load();
    private static readonly DateTimeOffset November = new(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);

    private static ModelPrice Price(string model) => Catalog.TryGet(model, out var p) ? p : throw new InvalidOperationException(model);

    private static LedgerEntry Row(int n, string team, string model, TokenUsage usage, string route = "anthropic.messages")
    {
        var at = November.AddHours(n * 3 + 1);
        return new LedgerEntry
        {
            Id = $"evt_wi_{n:D3}", StartedAt = at, EndedAt = at.AddSeconds(2), Route = route, Person = "p" + n % 3, Team = team,
            RequestedModel = model, ServedModel = model, Usage = usage, CostNanos = NanoUsd.FromUsd(CostCalculator.Compute(Price(model), usage).Total),
            Status = 200, Outcome = LedgerOutcome.Ok,
        };
    }

    /// <summary>Sonnet requests of two teams: cached and 1-hour-cache-write prefixes, batch lane, one over Haiku's window; an embedding.</summary>
    private static List<LedgerEntry> Rows()
    {
        var rows = new List<LedgerEntry>();
        for (var n = 0; n < 40; n++)
        {
            var usage = new TokenUsage
            {
                UncachedInput = 3_000 + n * 211, CacheRead = n % 3 == 0 ? 40_000 : 0, CacheWrite1h = n % 5 == 0 ? 12_000 : 0, CacheWrite5m = n % 7 == 0 ? 9_000 : 0,
                Output = 400 + n * 37, Tier = n % 4 == 0 ? ServiceTier.Batch : ServiceTier.Standard,
            };
            rows.Add(Row(n, n % 2 == 0 ? "payments" : "growth", "claude-sonnet-4-5", usage));
        }
        rows.Add(Row(40, "payments", "claude-sonnet-4-5", new TokenUsage { UncachedInput = 600_000, Output = 900 }));
        rows.Add(Row(41, "payments", "text-embedding-3-small", new TokenUsage { UncachedInput = 5_000 }, "openai.embeddings"));
        return rows;
    }

    [Fact]
    public async Task WhatIf_RepricesEachTeamsRowsOntoTheTarget_AndNamesWhatItCannotServe()
    {
        var rows = Rows();
        new SqliteLedgerStore(new SqliteDatabase(_dir)).Write(rows);
        SqliteConnection.ClearAllPools();
        var haiku = Price("claude-haiku-4-5");

        var (exit, stdout, stderr) = await CliProcess.RunAsync("whatif", "--period", "2026-11", "--model", "claude-haiku-4-5", "--data", _dir, "--format", "json");
        Assert.True(exit == 0, stderr);
        var json = JsonDocument.Parse(stdout).RootElement;
        var generative = rows.Where(r => r.Route != "openai.embeddings").ToList();
        foreach (var team in new[] { "payments", "growth" })
        {
            var line = json.GetProperty("rows").EnumerateArray().Single(r => r.GetProperty("team").GetString() == team);
            var mine = generative.Where(r => r.Team == team).ToList();
            Assert.Equal("claude-sonnet-4-5", line.GetProperty("model").GetString());
            Assert.Equal(mine.Count, line.GetProperty("requests").GetInt64());
            Assert.Equal(mine.Sum(r => r.CostNanos), line.GetProperty("current_nanos").GetInt64());
            // Same family: the same buckets on Haiku's rates, lane by lane (a few nanos of rounding per cell).
            var expected = NanoUsd.FromUsd(mine.Sum(r => CostCalculator.Compute(haiku, r.Usage).Total));
            Assert.InRange(line.GetProperty("whatif_nanos").GetInt64() - expected, -10, 10);
            Assert.Equal(1m, line.GetProperty("token_factor").GetDecimal());
        }
        Assert.Empty(json.GetProperty("token_factors").EnumerateArray());
        // The 600k-token request is beyond Haiku's window, and named.
        var window = json.GetProperty("cannot_serve").EnumerateArray().Single(g => g.GetProperty("reason").GetString() == "context-window");
        Assert.Equal(1, window.GetProperty("requests").GetInt64());
        Assert.Equal(["evt_wi_040"], window.GetProperty("examples").EnumerateArray().Select(e => e.GetString()));

        // Onto GPT-4o: another tokenizer family, so the factor is named and applied.
        (exit, stdout, stderr) = await CliProcess.RunAsync("whatif", "--period", "2026-11", "--model", "gpt-4o", "--team", "growth", "--data", _dir, "--format", "json");
        Assert.True(exit == 0, stderr);
        json = JsonDocument.Parse(stdout).RootElement;
        var factor = Assert.Single(json.GetProperty("token_factors").EnumerateArray());
        Assert.Equal(0.8m, factor.GetProperty("factor").GetDecimal());
        Assert.Contains("Vantage", factor.GetProperty("basis").GetString(), StringComparison.Ordinal);
        Assert.Equal(generative.Count(r => r.Team == "growth"), json.GetProperty("totals").GetProperty("requests").GetInt64());

        // The table says it too, and the CSV has one line per team and model.
        (exit, stdout, _) = await CliProcess.RunAsync("whatif", "--period", "2026-11", "--model", "gpt-4o", "--data", _dir);
        Assert.Equal(0, exit);
        Assert.Contains("Token counts differ", stdout, StringComparison.Ordinal);
        Assert.Contains("multiplied by 0.8", stdout, StringComparison.Ordinal);
        (exit, stdout, _) = await CliProcess.RunAsync("whatif", "--period", "2026-11", "--model", "gpt-4o", "--data", _dir, "--format", "csv");
        Assert.Equal(0, exit);
        Assert.Equal(3, stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
    }

    [Fact]
    public async Task WhatIf_OntoAnUnknownModel_ExitsTwoNamingIt()
    {
        Directory.CreateDirectory(_dir);
        var (exit, _, stderr) = await CliProcess.RunAsync("whatif", "--model", "no-such-model-9", "--data", _dir);
        Assert.Equal(2, exit);
        Assert.Contains("'no-such-model-9' is not in the price catalog", stderr, StringComparison.Ordinal);
        (exit, _, stderr) = await CliProcess.RunAsync("whatif", "--model", "gpt-4o", "--period", "someday", "--data", _dir);
        Assert.Equal(2, exit);
        Assert.Contains("--period", stderr, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}
