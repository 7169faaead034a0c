using System.Text;
using TokenOps.Core.Ledger;
using TokenOps.Core.Metering;
using TokenOps.Core.Planning;
using TokenOps.Core.Pricing;

namespace TokenOps.Storage.Tests.Planning;

/// <summary>
/// What every backend's planning reads (<see cref="IPlanningQueries"/>) must answer, written once and run on SQLite and
/// PostgreSQL. The what-if prices grouped sums; these tests price every row one by one with <see cref="CostCalculator"/>
/// and require the same totals, across a long-context boundary, every lane, cache writes of both TTLs, reasoning and a
/// model family that counts tokens differently.
/// </summary>
public abstract class PlanningQueriesConformanceTests
{
    protected abstract ILedgerStore Store { get; }
    protected abstract IPlanningQueries Planning { get; }

    private static readonly DateTimeOffset Day0 = new(2026, 6, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly string[] Teams = ["payments", "growth"];
    private static readonly string[] Models = ["gpt-4o", "claude-sonnet-4-5", "o4-mini"];
    private static readonly ServiceTier[] Tiers = [ServiceTier.Standard, ServiceTier.Batch, ServiceTier.Flex, ServiceTier.Priority];

    /// <summary>The target: o200k family, a long-context tier above 150k input, a 400k window, an 8k output limit, no reasoning, no vision.</summary>
    protected static readonly ModelPrice Target = new()
    {
        Model = "gpt-5-target", Provider = "openai", Mode = "chat", MaxInputTokens = 400_000, MaxOutputTokens = 8_000,
        Input = 0.0000004m, Output = 0.0000016m, CacheRead = 0.0000001m, CacheWrite5m = 0.0000005m, CacheWrite1h = 0.0000008m,
        BatchInput = 0.0000002m, BatchOutput = 0.0000008m, InputFlex = 0.0000003m, OutputFlex = 0.0000012m,
        InputPriority = 0.0000007m, OutputPriority = 0.0000028m,
        LongContextTiers = [new LongContextTier(150_000) { Input = 0.0000008m, Output = 0.0000032m, CacheRead = 0.0000002m }],
        Capabilities = ModelCapabilities.Tools | ModelCapabilities.JsonSchema,
    };

    /// <summary>The sources' capabilities, as a catalog says them: the Claude model takes images, the target does not.</summary>
    protected static readonly PriceCatalog Catalog = PriceCatalog.Load(Encoding.UTF8.GetBytes("""
        {
          "gpt-4o": { "litellm_provider": "openai", "mode": "chat", "input_cost_per_token": 2.5e-6, "output_cost_per_token": 1e-5, "supports_function_calling": true },
          "claude-sonnet-4-5": { "litellm_provider": "anthropic", "mode": "chat", "input_cost_per_token": 3e-6, "output_cost_per_token": 1.5e-5, "supports_function_calling": true, "supports_vision": true },
          "o4-mini": { "litellm_provider": "openai", "mode": "chat", "input_cost_per_token": 1.1e-6, "output_cost_per_token": 4.4e-6, "supports_reasoning": true }
        }
        """));

    /// <summary>
    /// 120 generative rows in June (sizes from 1k to 500k input, so some cross the tier, some the window; outputs up to
    /// 12k), an embeddings row and a moderation row (not generations), and a row each side of the month.
    /// </summary>
    protected static IReadOnlyList<LedgerEntry> Data { get; } = Enumerable.Range(0, 120).Select(Row)
        .Append(Row(200) with { Id = "evt_plan_embed", Route = "openai.embeddings", ServedModel = "text-embedding-3-small", RequestedModel = "text-embedding-3-small" })
        .Append(Row(201) with { Id = "evt_plan_mod", Route = "openai.moderations" })
        .Append(Row(202) with { Id = "evt_plan_before", StartedAt = Day0.AddSeconds(-1), EndedAt = Day0 })
        .Append(Row(203) with { Id = "evt_plan_after", StartedAt = Day0.AddMonths(1), EndedAt = Day0.AddMonths(1).AddSeconds(1) })
        .ToList();

    private static LedgerEntry Row(int n)
    {
        var model = Models[n % Models.Length];
        var total = 1_000L + (n * 4_201L) % 500_000;
        var usage = new TokenUsage
        {
            UncachedInput = total * 6 / 10, CacheRead = total * 3 / 10, CacheWrite5m = n % 2 == 0 ? total / 10 : 0, CacheWrite1h = n % 2 == 1 ? total - total * 6 / 10 - total * 3 / 10 : 0,
            Output = 100 + n * 97 % 12_000, Reasoning = model == "o4-mini" ? 50 + n * 13 % 3_000 : 0, Tier = Tiers[n / 3 % Tiers.Length],
            WebSearchCalls = n % 11 == 0 ? 2 : 0,
        };
        usage = usage with { CacheWrite5m = usage.TotalInput < total && n % 2 == 0 ? usage.CacheWrite5m + total - usage.TotalInput : usage.CacheWrite5m };
        var at = Day0.AddHours(n * 5 + 1);
        return new LedgerEntry
        {
            Id = $"evt_plan_{n:D3}", StartedAt = at, EndedAt = at.AddSeconds(3), Route = model.StartsWith("claude", StringComparison.Ordinal) ? "anthropic.messages" : "openai.chat",
            Person = "p" + n % 5, Team = n % 13 == 12 ? null : Teams[n % 2], Provider = "x", RequestedModel = model, ServedModel = model, Usage = usage,
            Cost = new CostBreakdown { UncachedInput = 0.000001m * usage.UncachedInput, Output = 0.000004m * usage.Output }, Status = 200, Outcome = LedgerOutcome.Ok,
        };
    }

    private static IEnumerable<LedgerEntry> June(string? team = null, string? model = null) => Data.Where(r =>
        r.StartedAt >= Day0 && r.StartedAt < Day0.AddMonths(1) && r.Route is "openai.chat" or "anthropic.messages"
        && (team is null || (r.Team ?? "") == team) && (model is null || r.ServedModel == model));

    /// <summary>One row repriced on its own: buckets and sizes moved by the family factor, the tier by its own input.</summary>
    private static decimal RowOnTarget(LedgerEntry r)
    {
        var f = TokenCounts.Factor(TokenCounts.FamilyOf(r.ServedModel!), TokenCounts.FamilyOf(Target.Model));
        long S(long t) => (long)decimal.Round(t * f, MidpointRounding.AwayFromZero);
        var u = r.Usage;
        var scaled = u with { UncachedInput = S(u.UncachedInput), CacheRead = S(u.CacheRead), CacheWrite5m = S(u.CacheWrite5m), CacheWrite1h = S(u.CacheWrite1h), Output = S(u.Output), Reasoning = S(Math.Min(u.Reasoning, u.Output)) };
        return CostCalculator.Compute(Target, scaled, (long)decimal.Ceiling(u.TotalInput * f)).Total;
    }

    private WhatIfReport Run(string? team = null, string? model = null)
    {
        Store.Write(Data);
        var query = WhatIfRepricer.Query(Target, Day0, Day0.AddMonths(1), team, model);
        return new WhatIfRepricer(Catalog).Reprice(Target, query, Planning.WhatIfCells(query));
    }

    [Fact]
    public virtual void WhatIf_OnTheSameFamily_EqualsPricingEveryRow()
    {
        var report = Run(model: "gpt-4o");
        var rows = June(model: "gpt-4o").ToList();
        Assert.Contains(rows, r => r.Usage.TotalInput > 150_000);
        Assert.Contains(rows, r => r.Usage.TotalInput <= 150_000);
        Assert.All(Tiers, t => Assert.Contains(rows, r => r.Usage.Tier == t));
        var expected = rows.Sum(r => CostCalculator.Compute(Target, r.Usage).Total);
        Assert.Equal(rows.Count, report.Total.Requests);
        Assert.Equal(rows.Sum(r => r.CostNanos), report.Total.CurrentNanos);
        // Each cell rounds once to the nano-dollar: at most half a nano per cell apart.
        Assert.InRange(report.Total.WhatIfNanos - NanoUsd.FromUsd(expected), -report.Lines.Count * 8, report.Lines.Count * 8);
        Assert.Empty(report.Factors);
        Assert.All(report.Lines, l => Assert.Equal(1m, l.TokenFactor));
        foreach (var team in new[] { "payments", "growth", "" })
        {
            var line = Assert.Single(report.Lines, l => l.Team == team);
            Assert.Equal(rows.Where(r => (r.Team ?? "") == team).Sum(r => r.CostNanos), line.CurrentNanos);
        }
    }

    [Fact]
    public virtual void WhatIf_AcrossFamilies_MovesTokensAndBoundariesByTheFactor()
    {
        var report = Run();
        var rows = June().ToList();
        Assert.Equal(rows.Count, report.Total.Requests);
        Assert.Equal(rows.Sum(r => r.CostNanos), report.Total.CurrentNanos);
        var expected = rows.Sum(RowOnTarget);
        // Rounding scaled tokens per cell instead of per row: well under a millionth apart.
        Assert.InRange(NanoUsd.ToUsd(report.Total.WhatIfNanos), expected * 0.999999m, expected * 1.000001m);
        var claude = Assert.Single(report.Factors);
        Assert.Equal(("anthropic-claude", "openai-o200k", 0.8m), (claude.FromFamily, claude.ToFamily, claude.Factor));
        Assert.Equal(rows.Count(r => r.ServedModel == "claude-sonnet-4-5"), claude.Requests);

        // The window and output limit count in the target's tokens: a Claude row of 450k input is 360k there, and fits.
        var f = (LedgerEntry r) => r.ServedModel == "claude-sonnet-4-5" ? 0.8m : 1m;
        var overWindow = rows.Where(r => r.Usage.TotalInput * f(r) > 400_000).ToList();
        Assert.Contains(rows, r => r.Usage.TotalInput > 400_000 && r.Usage.TotalInput * f(r) <= 400_000);
        var window = Assert.Single(report.Gaps, g => g.Reason == "context-window");
        Assert.True(window.Certain);
        Assert.Equal(overWindow.Count, window.Requests);
        Assert.All(window.Examples, id => Assert.Contains(overWindow, r => r.Id == id));
        var output = Assert.Single(report.Gaps, g => g.Reason == "output-limit");
        Assert.Equal(rows.Count(r => r.Usage.Output * f(r) > 8_000), output.Requests);
        var reasoning = Assert.Single(report.Gaps, g => g.Reason == "reasoning");
        Assert.Equal(rows.Count(r => r.Usage.Reasoning > 0), reasoning.Requests);
        Assert.All(reasoning.Examples, id => Assert.Equal("o4-mini", rows.Single(r => r.Id == id).ServedModel));
        // Images: the ledger cannot tell which Claude requests sent one, so all of them are "possibly".
        var vision = Assert.Single(report.Gaps, g => g.Reason == "vision");
        Assert.False(vision.Certain);
        Assert.Equal(rows.Count(r => r.ServedModel == "claude-sonnet-4-5"), vision.Requests);
        Assert.DoesNotContain(report.Gaps, g => g.Reason == "tool-calls");
    }

    [Fact]
    public virtual void WhatIf_FiltersByTeam()
    {
        var report = Run(team: "growth");
        var rows = June(team: "growth").ToList();
        Assert.All(report.Lines, l => Assert.Equal("growth", l.Team));
        Assert.Equal(rows.Count, report.Total.Requests);
        Assert.Equal(rows.Sum(r => r.CostNanos), report.Total.CurrentNanos);
    }

    [Fact]
    public virtual void Replay_IsTheCostlyRowsInTimeOrder()
    {
        Store.Write(Data);
        Store.Write([Row(300) with { Id = "evt_plan_free", Cost = CostBreakdown.Zero, Usage = TokenUsage.Zero }]);
        var replay = Planning.Replay(Day0, Day0.AddMonths(1)).ToList();
        var expected = Data.Where(r => r.StartedAt >= Day0 && r.StartedAt < Day0.AddMonths(1)).OrderBy(r => r.StartedAt).ThenBy(r => r.Id, StringComparer.Ordinal).ToList();
        Assert.Equal(expected.Select(r => r.Id), replay.Select(r => r.Id));
        var first = replay[0];
        var source = expected[0];
        Assert.Equal((source.StartedAt, source.Person, source.Team, source.ServedModel, source.CostNanos), (first.StartedAt, first.Person, first.Team, first.Model, first.CostNanos));
        Assert.Equal(source.Usage, first.Usage);
    }
}
