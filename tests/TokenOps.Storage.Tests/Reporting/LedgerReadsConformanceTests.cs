using TokenOps.Core.Budgets;
using TokenOps.Core.Ledger;
using TokenOps.Core.Metering;
using TokenOps.Core.Pricing;

namespace TokenOps.Storage.Tests.Reporting;

/// <summary>
/// What every backend's ledger reads must answer (<see cref="IRollupQueries"/>, <see cref="ILedgerExplorer"/>,
/// <see cref="ISpendQueries"/>, <see cref="ILedgerUsageReader"/>), written once and run on SQLite and PostgreSQL. Every
/// test writes the same fixed data set (writes are idempotent on the event id, so the class's database holds exactly it)
/// and checks the answers against sums computed here from the rows themselves: any difference between the backends,
/// or between the rollups and the ledger, fails. Names mix case and non-ASCII letters, so the order must be byte order.
/// </summary>
public abstract class LedgerReadsConformanceTests
{
    protected abstract ILedgerStore Store { get; }
    protected abstract IRollupQueries Rollups { get; }
    protected abstract ILedgerExplorer Explorer { get; }
    protected abstract ISpendQueries Spend { get; }
    protected abstract ILedgerUsageReader Usage { get; }
    protected abstract IWasteRowReader WasteRows { get; }

    protected static readonly DateTimeOffset Day0 = new(2026, 3, 2, 0, 0, 0, TimeSpan.Zero);
    private static readonly string[] People = ["ada", "bo", "Zed", "émile"];
    private static readonly string[] Teams = ["core", "Payments"];
    private static readonly string[] Models = ["gpt-4o-mini", "claude-x", "Gpt-upper"];

    /// <summary>72 rows over three days: hours 0–23 step 1 by index, people, teams and models in rotation, some errors, cache reads and degraded.</summary>
    protected static IReadOnlyList<LedgerEntry> Data { get; } = Enumerable.Range(0, 72).Select(Row).ToList();

    private static LedgerEntry Row(int n)
    {
        var person = People[n % People.Length];
        var at = Day0.AddHours(n).AddMinutes(n % 7 * 5).AddSeconds(n % 3); // rows at equal times exist across days
        var degraded = n % 11 == 5;
        var outcome = n % 9 == 4 ? LedgerOutcome.ProviderError : LedgerOutcome.Ok;
        return new LedgerEntry
        {
            Id = $"evt_reads_{n:D3}", StartedAt = at, EndedAt = at.AddMilliseconds(500 + n), Route = n % 12 == 1 ? "openai.responses" : "openai.chat", KeyId = "key_" + person,
            ProviderRequestId = n % 12 == 1 ? $"resp_{n:D3}" : n % 12 == 2 ? $"chatcmpl_{n:D3}" : null,
            Person = person, Team = Teams[Array.IndexOf(People, person) % 2], Project = n % 2 == 0 ? "atlas" : "Borealis", Feature = "f" + n % 3,
            Provider = "openai", RequestedModel = Models[n % 3], ServedModel = degraded ? "gpt-4o-mini" : Models[n % 3],
            Usage = new TokenUsage { UncachedInput = 100 + n, CacheRead = n % 4 == 0 ? 50 : 0, Output = 20 + n % 13, Reasoning = n % 5, WebSearchCalls = n % 13 == 0 ? 2 : 0, AudioInput = n % 17 == 0 ? 10 : 0 },
            Cost = new CostBreakdown { UncachedInput = 0.000001m * (100 + n), CacheRead = n % 4 == 0 ? 0.000025m : 0m, Output = 0.00001m * (20 + n % 13),
                // Priced units beyond tokens on some rows: web-search calls, audio seconds and characters, images.
                ToolCalls = n % 6 == 0 ? 0.01m : 0m, AudioSeconds = n % 7 == 0 ? 0.0006m * n : 0m, Characters = n % 11 == 0 ? 0.000015m : 0m,
                Images = n % 9 == 0 ? 0.04m : 0m, ImageInput = n % 8 == 0 ? 0.000005m : 0m },
            Status = outcome == LedgerOutcome.Ok ? 200 : 502, Outcome = outcome, ErrorCode = outcome == LedgerOutcome.Ok ? null : "upstream_5xx",
            LatencyMs = 10 + n, SessionId = "sess-" + n % 5, BudgetAction = degraded ? "degraded:gpt-4o-mini" : null, Source = "gateway",
            PriceEstimated = n % 10 == 3 && !degraded,
            // Waste fingerprints on most rows, none on some.
            PrefixHash = n % 5 == 0 ? null : n % 4, PrefixTokens = 1000 + n, PromptHash = n % 6 == 0 ? null : -n, TurnSimHash = n % 7 == 0 ? null : long.MaxValue - n,
            MessageCount = n % 9, FinishReason = n % 8 == 0 ? "length" : "stop", ToolCallCount = n % 3, KeyKind = n % 10 == 0 ? "automation" : "person",
            RouteScore = n % 3 == 0 ? 0.25 * (n % 4) : null,
        };
    }

    protected void Seed() => Store.Write(Data);

    private static readonly RollupFilter ThreeDays = new(Day0, Day0.AddDays(3));

    [Fact]
    public virtual void Total_equals_the_sum_of_the_rows()
    {
        Seed();
        var total = Rollups.Total(ThreeDays);
        Assert.Equal(Data.Count, total.Requests);
        Assert.Equal(Data.Sum(e => e.CostNanos), total.CostNanos);
        Assert.Equal(Data.Sum(e => e.Usage.UncachedInput), total.UncachedInputTokens);
        Assert.Equal(Data.Sum(e => e.Usage.CacheRead), total.CacheReadTokens);
        Assert.Equal(Data.Sum(e => e.Usage.Output), total.OutputTokens);
        Assert.Equal(Data.Count(e => e.Outcome != LedgerOutcome.Ok), total.ErrorRequests);
        Assert.Equal(Data.Count(e => e.BudgetAction is not null), total.DegradedRequests);
        // The priced units are cost buckets of their own (reports and the FOCUS export show them).
        Assert.Equal(Data.Sum(e => NanoUsd.FromUsd(e.Cost.ToolCalls)), total.ToolCallNanos);
        Assert.Equal(Data.Sum(e => NanoUsd.FromUsd(e.Cost.AudioSeconds) + NanoUsd.FromUsd(e.Cost.Characters)), total.AudioNanos);
        Assert.Equal(Data.Sum(e => NanoUsd.FromUsd(e.Cost.Images) + NanoUsd.FromUsd(e.Cost.ImageInput)), total.ImageNanos);
        Assert.True(total.ToolCallNanos > 0 && total.AudioNanos > 0 && total.ImageNanos > 0);
    }

    [Fact]
    public virtual void Group_by_person_gives_each_persons_sums_biggest_first()
    {
        Seed();
        var rows = Rollups.Group(ThreeDays, RollupDimension.Person);
        var expected = Data.GroupBy(e => e.Person!).Select(g => (g.Key, Cost: g.Sum(e => e.CostNanos), Requests: (long)g.Count()))
            .OrderByDescending(x => x.Cost).ThenBy(x => x.Key, StringComparer.Ordinal).ToList();
        Assert.Equal(expected.Select(x => x.Key), rows.Select(r => r.Key));
        Assert.Equal(expected.Select(x => x.Cost), rows.Select(r => r.CostNanos));
        Assert.Equal(expected.Select(x => x.Requests), rows.Select(r => r.Requests));
    }

    [Fact]
    public virtual void Filters_on_team_and_model_narrow_the_sums()
    {
        Seed();
        var filter = ThreeDays with { Team = "Payments", Model = "claude-x" };
        var total = Rollups.Total(filter);
        var mine = Data.Where(e => e.Team == "Payments" && e.ServedModel == "claude-x").ToList();
        Assert.NotEmpty(mine);
        Assert.Equal(mine.Count, total.Requests);
        Assert.Equal(mine.Sum(e => e.CostNanos), total.CostNanos);
    }

    [Fact]
    public virtual void Hourly_and_daily_buckets_agree_with_the_rows()
    {
        Seed();
        var daily = Rollups.Group(ThreeDays, RollupDimension.Bucket).OrderBy(r => r.Key, StringComparer.Ordinal).ToList();
        Assert.Equal(["2026-03-02", "2026-03-03", "2026-03-04"], daily.Select(r => r.Key));
        Assert.Equal(Data.GroupBy(e => e.StartedAt.UtcDateTime.Date).OrderBy(g => g.Key).Select(g => g.Sum(e => e.CostNanos)), daily.Select(r => r.CostNanos));
        var hourly = Rollups.Group(ThreeDays with { HourlyBuckets = true }, RollupDimension.Bucket);
        Assert.Equal(72, hourly.Count);
        Assert.Equal(Data.Sum(e => e.CostNanos), hourly.Sum(r => r.CostNanos));
        // A range that is not whole days reads the hourly table: hours 5 to 17 of the first day.
        var part = Rollups.Total(new RollupFilter(Day0.AddHours(5), Day0.AddHours(17)));
        Assert.Equal(Data.Where(e => e.StartedAt >= Day0.AddHours(5) && e.StartedAt < Day0.AddHours(17)).Sum(e => e.CostNanos), part.CostNanos);
    }

    [Fact]
    public virtual void Cube_folds_to_the_same_breakdowns_as_single_groupings()
    {
        Seed();
        var cube = Rollups.Cube(ThreeDays, RollupDimension.Team, RollupDimension.Model);
        var byTeam = Core(Rollups.Group(ThreeDays, RollupDimension.Team));
        Assert.Equal(byTeam, Core(Storage.Rollups.Fold(cube, 0)));
        Assert.Equal(Core(Rollups.Group(ThreeDays, RollupDimension.Model)), Core(Storage.Rollups.Fold(cube, 1)));
        var many = Rollups.GroupMany(ThreeDays, RollupDimension.Team, RollupDimension.Project);
        Assert.Equal(byTeam, Core(many[RollupDimension.Team]));
        Assert.Equal(Data.Select(e => e.Project).Distinct().Count(), many[RollupDimension.Project].Count);
        static List<(string, long, long, long, long, long)> Core(IReadOnlyList<RollupRow> rows) =>
            rows.Select(r => (r.Key, r.Requests, r.CostNanos, r.ToolCallNanos, r.AudioNanos, r.ImageNanos)).ToList();
    }

    [Fact]
    public virtual void Cache_reads_by_model()
    {
        Seed();
        var rows = Rollups.CacheByModel(ThreeDays).Where(r => r.CacheReadTokens > 0).ToDictionary(r => r.Key, r => r.CacheReadTokens, StringComparer.Ordinal);
        var expected = Data.Where(e => e.Usage.CacheRead > 0).GroupBy(e => e.ServedModel!).ToDictionary(g => g.Key, g => g.Sum(e => e.Usage.CacheRead), StringComparer.Ordinal);
        Assert.Equal(expected.OrderBy(kv => kv.Key, StringComparer.Ordinal), rows.OrderBy(kv => kv.Key, StringComparer.Ordinal));
    }

    [Fact]
    public virtual void Explorer_pages_newest_first_through_every_row_once()
    {
        Seed();
        var seen = new List<ExplorerRow>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var (rows, next) = Explorer.Page(new ExplorerFilter(Day0, Day0.AddDays(3)) { Limit = 10, Cursor = cursor });
            seen.AddRange(rows);
            cursor = next;
            Assert.True(++pages <= 10, "the cursor must move forward");
        } while (cursor is not null);
        var expected = Data.OrderByDescending(e => e.StartedAt).ThenByDescending(e => e.Id, StringComparer.Ordinal).Select(e => e.Id);
        Assert.Equal(expected, seen.Select(r => r.Id));
        var first = seen.Single(r => r.Id == "evt_reads_005");
        Assert.Equal(("bo", "Payments", "gpt-4o-mini", "Gpt-upper"), (first.Person, first.Team, first.ServedModel, first.RequestedModel)); // degraded
        Assert.Equal(Data[5].CostNanos, first.CostNanos);
    }

    [Fact]
    public virtual void Explorer_filters_by_person_and_status()
    {
        Seed();
        var (rows, _) = Explorer.Page(new ExplorerFilter(Day0, Day0.AddDays(3)) { Person = "émile", Status = "error", Limit = 100 });
        Assert.Equal(Data.Where(e => e.Person == "émile" && e.Outcome != LedgerOutcome.Ok).Select(e => e.Id).Order(StringComparer.Ordinal),
            rows.Select(r => r.Id).Order(StringComparer.Ordinal));
        Assert.NotEmpty(rows);
    }

    [Fact]
    public virtual void Waste_rows_carry_every_field_the_detectors_read_as_the_full_row_has_it()
    {
        Seed();
        var from = Day0.AddHours(5);
        var to = Day0.AddDays(2);
        var expected = Data.Where(e => e.StartedAt >= from && e.StartedAt < to).OrderBy(e => e.StartedAt).ThenBy(e => e.Id, StringComparer.Ordinal).ToList();
        var rows = WasteRows.Read(from, to).ToList();
        Assert.Equal(expected.Select(e => e.Id), rows.Select(r => r.Id));
        foreach (var (e, r) in expected.Zip(rows))
        {
            Assert.Equal((e.StartedAt, e.Route, e.KeyId, e.Person, e.Team, e.ServedModel, e.Outcome, e.SessionId, e.RouteScore),
                (r.StartedAt, r.Route, r.KeyId, r.Person, r.Team, r.ServedModel, r.Outcome, r.SessionId, r.RouteScore));
            Assert.Equal(e.Usage, r.Usage);
            Assert.Equal((e.CostNanos, e.Cost.Total, e.Cost.UncachedInput, e.Cost.CacheRead, e.Cost.CacheWrite5m + e.Cost.CacheWrite1h),
                (r.CostNanos, r.Cost.Total, r.Cost.UncachedInput, r.Cost.CacheRead, r.Cost.CacheWrite5m + r.Cost.CacheWrite1h));
            Assert.Equal((e.PrefixHash, e.PrefixTokens, e.PromptHash, e.TurnSimHash, e.MessageCount, e.FinishReason, e.ToolCallCount, e.KeyKind),
                (r.PrefixHash, r.PrefixTokens, r.PromptHash, r.TurnSimHash, r.MessageCount, r.FinishReason, r.ToolCallCount, r.KeyKind));
        }
        Assert.True(rows.Count > 30);
    }

    [Fact]
    public virtual void A_responses_owner_is_found_by_the_providers_response_id()
    {
        Seed();
        Assert.Equal(new ResponseOwner(Data[13].Person, "openai"), Explorer.ResponseOwner("resp_013"));
        Assert.Equal("bo", Explorer.ResponseOwner("resp_001")!.Person);
        // Only Responses API rows: a chat completion's id, or an id nobody asked for, has no owner.
        Assert.Null(Explorer.ResponseOwner("chatcmpl_002"));
        Assert.Null(Explorer.ResponseOwner("resp_999"));
    }

    [Fact]
    public virtual void Degraded_rows_are_the_ones_served_a_cheaper_model()
    {
        Seed();
        var rows = Explorer.Degraded(Day0, Day0.AddDays(3), team: null, person: null);
        Assert.Equal(Data.Count(e => e.BudgetAction is not null), rows.Count);
        Assert.All(rows, r => Assert.Equal("gpt-4o-mini", r.ServedModel));
        Assert.Equal(Data.Where(e => e.BudgetAction is not null).Sum(e => e.CostNanos), rows.Sum(r => r.CostNanos));
    }

    [Fact]
    public virtual void Daily_spend_per_budget_scope()
    {
        Seed();
        var team = Spend.Daily(BudgetLevel.Team, "core", Day0, Day0.AddDays(3));
        var expected = Data.Where(e => e.Team == "core").GroupBy(e => DateOnly.FromDateTime(e.StartedAt.UtcDateTime))
            .OrderBy(g => g.Key).Select(g => new DailySpendView(g.Key, NanoUsd.ToUsd(g.Sum(e => e.CostNanos))));
        Assert.Equal(expected, team.Select(d => new DailySpendView(d.Day, d.Usd)));
        var org = Spend.Daily(BudgetLevel.Organisation, "", Day0, Day0.AddDays(3));
        Assert.Equal(NanoUsd.ToUsd(Data.Sum(e => e.CostNanos)), org.Sum(d => d.Usd));
    }

    private sealed record DailySpendView(DateOnly Day, decimal Usd);

    [Fact]
    public virtual void Estimated_prices_name_each_model_priced_by_family_fallback()
    {
        Seed();
        var until = Day0.AddDays(2);
        var uses = Spend.EstimatedPrices(Day0, until);
        var expected = Data.Where(e => e.PriceEstimated && e.StartedAt < until).GroupBy(e => e.ServedModel!)
            .Select(g => new EstimatedPriceUse(g.Key, g.Count(), g.Sum(e => e.CostNanos), g.Max(e => e.StartedAt)))
            .OrderByDescending(u => u.CostNanos).ThenBy(u => u.Model, StringComparer.Ordinal).ToList();
        Assert.True(expected.Count >= 2);
        Assert.Equal(expected, uses);
        Assert.Empty(Spend.EstimatedPrices(Day0.AddDays(-7), Day0));
    }

    [Fact]
    public virtual void Poker_week_counts_each_persons_requests_and_spend()
    {
        Seed();
        var week = Spend.PokerWeek(Day0, Day0.AddDays(7));
        Assert.Equal(People.Order(StringComparer.Ordinal), week.Select(p => p.Person));
        foreach (var p in week)
        {
            var mine = Data.Where(e => e.Person == p.Person).ToList();
            Assert.Equal(NanoUsd.ToUsd(mine.Sum(e => e.CostNanos)), p.Spent);
            Assert.Equal(mine.Count, p.Requests);
            Assert.Equal(mine.Count(e => e.Outcome == LedgerOutcome.Ok), p.SuccessfulRequests);
        }
    }

    [Fact]
    public virtual void Usage_reader_streams_every_row_in_time_order()
    {
        Seed();
        var rows = Usage.Read().ToList();
        Assert.Equal(Data.OrderBy(e => e.StartedAt).Select(e => e.StartedAt.ToUnixTimeMilliseconds()), rows.Select(r => r.TimestampMs));
        Assert.Equal(NanoUsd.ToUsd(Data.Sum(e => e.CostNanos)), rows.Sum(r => r.Cost));
        Assert.Equal(Data.Sum(e => e.Usage.CacheRead), rows.Sum(r => r.CacheRead));
        Assert.Equal(Data.OrderBy(e => e.StartedAt).Select(e => e.ServedModel), rows.Select(r => r.Model));
    }
}
