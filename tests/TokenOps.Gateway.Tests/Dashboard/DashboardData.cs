using Microsoft.Extensions.DependencyInjection;
using TokenOps.Core.Ledger;
using TokenOps.Core.Metering;
using TokenOps.Core.Pricing;
using TokenOps.Core.Savings;
using TokenOps.Gateway.Tests.Infrastructure;
using TokenOps.Storage.Sqlite;

namespace TokenOps.Gateway.Tests.Dashboard;

/// <summary>
/// Known ledger rows for the dashboard tests: three people in two teams, three projects, three models, cache hits,
/// a degraded request and failures, spread over the last five days. Costs are priced with the bundled catalog. Savings as
/// the settle stage records them (<see cref="SavingsCalculator"/>): requests routed from gpt-4o to gpt-4o-mini, the degraded
/// one, output caps (a lever that saves nothing), prompt-cache breakpoints on cache-read rows (one row has two levers).
/// </summary>
public sealed class DashboardData
{
    public required IReadOnlyList<LedgerEntry> Rows { get; init; }
    public required string AdaKey { get; init; }
    public required string BobKey { get; init; }
    public required string CyKey { get; init; }

    public const string Payments = "payments";
    public const string Search = "search";

    /// <summary>Creates the people's keys and writes the rows straight into the gateway's ledger store (rollups follow).</summary>
    public static DashboardData Seed(GatewayFixture gateway, DateTimeOffset now)
    {
        var ada = gateway.CreateKey("ada", Payments);
        var bob = gateway.CreateKey("bob", Payments);
        var cy = gateway.CreateKey("cy", Search);
        var rows = Build(now);
        var written = gateway.App.Services.GetRequiredService<TokenOps.Core.Ledger.ILedgerStore>().Write(rows);
        Assert.Equal(rows.Count, written);
        return new DashboardData { Rows = rows, AdaKey = ada, BobKey = bob, CyKey = cy };
    }

    public static IReadOnlyList<LedgerEntry> Build(DateTimeOffset now)
    {
        var catalog = BundledCatalog.Load();
        var rows = new List<LedgerEntry>();
        var people = new[] { ("ada", Payments, "checkout"), ("bob", Payments, "checkout"), ("bob", Payments, "ledger-ui"), ("cy", Search, "search-api") };
        var models = new[] { ("gpt-4o", "openai"), ("gpt-4o-mini", "openai"), ("claude-sonnet-4-5", "anthropic") };
        catalog.TryGet("gpt-4o", out var gpt4o);
        // Inside the last 5 days and strictly before now, in whole seconds.
        var start = new DateTimeOffset(now.UtcDateTime.AddHours(-1).Ticks / TimeSpan.TicksPerSecond * TimeSpan.TicksPerSecond, TimeSpan.Zero);
        for (var i = 0; i < 60; i++)
        {
            var (person, team, project) = people[i % people.Length];
            var (model, provider) = models[i % models.Length];
            var usage = new TokenUsage
            {
                UncachedInput = 1000 + 37 * i,
                CacheRead = i % 4 == 0 ? 2000 + 10 * i : 0,
                Output = 200 + 11 * i,
            };
            catalog.TryGet(model, out var price);
            var cost = CostCalculator.Compute(price!, usage);
            var outcome = i % 10 == 7 ? LedgerOutcome.ProviderError : LedgerOutcome.Ok;
            var ok = outcome == LedgerOutcome.Ok;
            var routed = ok && i != 4 && model == "gpt-4o-mini" && i % 2 == 1;
            var inputs = new SavingsInputs(
                AskedPrice: routed || i == 4 ? gpt4o : null,
                RoutedPrice: routed ? price : null,
                Degraded: i == 4,
                CacheBreakpointsAdded: ok && i % 8 == 0,
                Capped: ok && i % 10 == 2);
            var at = start.AddMinutes(-97 * i);
            rows.Add(new LedgerEntry
            {
                Id = $"evt_dash_{i:D3}",
                StartedAt = at,
                EndedAt = at.AddMilliseconds(850),
                Route = provider == "anthropic" ? "anthropic.messages" : "openai.chat",
                KeyId = "key_" + person,
                Person = person,
                Team = team,
                Project = project,
                Feature = i % 3 == 0 ? "autocomplete" : "review",
                Provider = provider,
                RequestedModel = i == 4 ? "gpt-4o" : routed ? "auto" : model,
                ServedModel = model,
                Usage = usage,
                Cost = outcome == LedgerOutcome.Ok ? cost : CostBreakdown.Zero,
                CatalogVersion = catalog.Version,
                Status = outcome == LedgerOutcome.Ok ? 200 : 500,
                Outcome = outcome,
                LatencyMs = 850,
                BudgetAction = i == 4 ? "degraded:gpt-4o->gpt-4o-mini" : null,
                Savings = SavingsCalculator.Compute(usage, price, cost, inputs),
                Levers = SavingsCalculator.LeverNames(inputs),
                OutputControl = inputs.Capped ? "max_tokens=1024(default)" : null,
            });
        }
        return rows;
    }
}
