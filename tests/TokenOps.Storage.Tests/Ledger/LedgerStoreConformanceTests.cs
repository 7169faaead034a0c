using System.Data.Common;
using System.Globalization;
using TokenOps.Core.Ledger;
using TokenOps.Core.Metering;
using TokenOps.Core.Pricing;
using TokenOps.Core.Savings;
using TokenOps.Storage.Sqlite;

namespace TokenOps.Storage.Tests.Ledger;

/// <summary>
/// What every <see cref="ILedgerStore"/> must do, written once (EF Core specification-test style): each backend is a
/// subclass of a few lines that supplies the store and a connection for reading its rollup tables. Every test is
/// <c>public virtual</c>, so a backend can add checks on top of the shared behaviour, never instead of it.
/// <para>
/// One database per test class: tests in a class share it, so each test writes under its own <see cref="Scope"/> (event
/// id prefix, model name, time window) and only ever looks at its own rows, and Count is checked as a difference.
/// </para>
/// </summary>
public abstract class LedgerStoreConformanceTests
{
    protected abstract ILedgerStore Store { get; }

    /// <summary>The store's import merge (not on <see cref="ILedgerStore"/> yet): insert, or replace with a copy carrying more tokens.</summary>
    protected abstract int Merge(IReadOnlyList<LedgerEntry> entries);

    /// <summary>A new connection to the store's database (for reading rollup tables, which have no contract yet).</summary>
    protected abstract DbConnection OpenConnection();

    private static int _scopes;

    /// <summary>A test's own corner of the shared database.</summary>
    protected sealed class Scope
    {
        public Scope(int index)
        {
            Name = $"s{index:D3}{Guid.NewGuid().ToString("N")[..6]}";
            // A fresh 40-day window per scope, apart from every other scope's rows.
            Start = new DateTimeOffset(2025, 1, 6, 0, 0, 0, TimeSpan.Zero).AddDays(40 * index);
        }

        public string Name { get; }
        public DateTimeOffset Start { get; }
        public DateTimeOffset End => Start.AddDays(40);
        public string Model => "model-" + Name;
        public string Id(int n) => $"evt_{Name}_{n:D5}";
    }

    protected static Scope NewScope() => new(Interlocked.Increment(ref _scopes));

    /// <summary>A row with every column set; the money is whole nanos so that it reads back unchanged.</summary>
    protected static LedgerEntry Row(Scope s, int n, TimeSpan at, string? person = "ada", string? team = "core", LedgerOutcome outcome = LedgerOutcome.Ok,
        long cacheRead = 0, string? budgetAction = null, string? servedModel = null) => new()
    {
        Id = s.Id(n), StartedAt = s.Start + at, EndedAt = s.Start + at + TimeSpan.FromMilliseconds(1234.5678), Route = "openai.chat",
        KeyId = "key_1", Person = person, Team = team, Project = "atlas", Feature = "search", Ticket = "ENG-1", PullRequest = "org/repo#7",
        Tags = "env=prod,tier=a", Provider = "openai", RequestedModel = s.Model, ServedModel = servedModel ?? s.Model,
        Usage = new TokenUsage
        {
            UncachedInput = 1000 + n, CacheRead = cacheRead, CacheWrite5m = 3, CacheWrite1h = 4, Output = 200 + n, Reasoning = 50,
            Tier = ServiceTier.Standard, WebSearchCalls = 1, WebFetchCalls = 0, FileSearchCalls = 2,
        },
        Cost = new CostBreakdown
        {
            UncachedInput = 0.001000000m * (n + 1), CacheRead = 0.000000007m * cacheRead, CacheWrite5m = 0.000000011m,
            CacheWrite1h = 0.000000013m, Output = 0.002m, Reasoning = 0.000500001m, ToolCalls = 0.01m,
            // Priced units on some rows (audio, images), so the rollups' unit buckets differ between cells.
            AudioInput = n % 3 == 0 ? 0.000000123m * n : 0, AudioSeconds = n % 5 == 0 ? 0.006m : 0, Characters = n % 7 == 0 ? 0.000015m : 0,
            ImageInput = n % 4 == 0 ? 0.000002m * n : 0, Images = n % 6 == 0 ? 0.04m : 0,
        },
        CatalogVersion = "2025-01-01", Streamed = n % 2 == 0, Estimated = false, Status = outcome == LedgerOutcome.Ok ? 200 : 502,
        Outcome = outcome, ErrorCode = outcome == LedgerOutcome.Ok ? null : "upstream_5xx", LatencyMs = 812.25, TimeToFirstTokenMs = 95.5,
        ProviderRequestId = "req_" + n, Source = "gateway", SessionId = "sess-" + s.Name, BudgetAction = budgetAction, Justification = null,
    };

    private IReadOnlyList<LedgerEntry> Mine(Scope s) => Store.Read(s.Start, s.End).Where(e => e.Id.StartsWith($"evt_{s.Name}_", StringComparison.Ordinal)).ToList();

    [Fact]
    public virtual void Write_of_an_empty_batch_writes_nothing()
    {
        var before = Store.Count();
        Assert.Equal(0, Store.Write([]));
        Assert.Equal(before, Store.Count());
    }

    [Fact]
    public virtual void Write_is_idempotent_on_the_event_id_across_batches_and_replays()
    {
        var s = NewScope();
        var (a, b, c) = (Row(s, 1, TimeSpan.FromMinutes(1)), Row(s, 2, TimeSpan.FromMinutes(2)), Row(s, 3, TimeSpan.FromMinutes(3)));
        var before = Store.Count();
        Assert.Equal(2, Store.Write([a, b]));
        Assert.Equal(1, Store.Write([b, c]));
        Assert.Equal(0, Store.Write([a, b, c]));
        // A replay carrying different content changes nothing: the first write of an id is the row.
        Assert.Equal(0, Store.Write([a with { Person = "mallory", Cost = CostBreakdown.Zero, CostNanos = 0 }]));
        Assert.Equal(before + 3, Store.Count());
        Assert.Equal([a.Id, b.Id, c.Id], Mine(s).Select(e => e.Id));
        Assert.Equal("ada", Mine(s)[0].Person);
    }

    [Fact]
    public virtual void Write_keeps_the_first_copy_of_an_id_repeated_within_one_batch()
    {
        var s = NewScope();
        var first = Row(s, 1, TimeSpan.FromMinutes(1));
        var second = first with { Person = "grace", Usage = first.Usage with { Output = 999_999 } };
        Assert.Equal(2, Store.Write([first, second, Row(s, 2, TimeSpan.FromMinutes(2))]));
        var stored = Mine(s);
        Assert.Equal(2, stored.Count);
        Assert.Equal("ada", stored[0].Person);
        Assert.Equal(first.Usage.Output, stored[0].Usage.Output);
    }

    [Fact]
    public virtual void Read_takes_since_inclusive_and_until_exclusive_in_time_then_id_order()
    {
        var s = NewScope();
        var tick = TimeSpan.FromTicks(1);
        var hour = TimeSpan.FromHours(1);
        // Written out of order; two rows share a start time (ordered by id), one is a single 100 ns tick later.
        Store.Write([Row(s, 5, 2 * hour), Row(s, 4, hour), Row(s, 2, hour), Row(s, 3, hour + tick), Row(s, 1, TimeSpan.Zero)]);
        Assert.Equal([s.Id(1), s.Id(2), s.Id(4), s.Id(3), s.Id(5)], Mine(s).Select(e => e.Id));
        Assert.Equal([s.Id(2), s.Id(4), s.Id(3)], Store.Read(s.Start + hour, s.Start + 2 * hour).Select(e => e.Id));
        Assert.Equal([s.Id(3)], Store.Read(s.Start + hour + tick, s.Start + 2 * hour).Select(e => e.Id));
        Assert.Equal([s.Id(2), s.Id(4)], Store.Read(s.Start + hour, s.Start + hour + tick).Select(e => e.Id));
        Assert.Empty(Store.Read(s.Start + hour, s.Start + hour));
        // Open ends: no since reads from the beginning of time, no until to the end.
        Assert.Equal([s.Id(1), s.Id(2), s.Id(4), s.Id(3)], Store.Read(until: s.Start + 2 * hour).Where(e => e.Id.Contains(s.Name, StringComparison.Ordinal)).Select(e => e.Id));
        Assert.Equal([s.Id(3), s.Id(5)], Store.Read(since: s.Start + hour + tick).Where(e => e.Id.Contains(s.Name, StringComparison.Ordinal)).Select(e => e.Id));
        // An offset other than UTC means the same instant.
        var plusTwo = new DateTimeOffset((s.Start + hour).UtcDateTime.AddHours(2).Ticks, TimeSpan.FromHours(2));
        Assert.Equal([s.Id(2), s.Id(4), s.Id(3)], Store.Read(plusTwo, s.Start + 2 * hour).Select(e => e.Id));
    }

    [Fact]
    public virtual void Count_counts_every_stored_row_once()
    {
        var s = NewScope();
        var before = Store.Count();
        var rows = Enumerable.Range(1, 25).Select(n => Row(s, n, TimeSpan.FromMinutes(n))).ToList();
        Assert.Equal(25, Store.Write(rows));
        Assert.Equal(0, Store.Write(rows));
        Assert.Equal(before + 25, Store.Count());
    }

    [Fact]
    public virtual void Every_column_round_trips_exactly()
    {
        var s = NewScope();
        var entry = new LedgerEntry
        {
            Id = s.Id(1),
            // 100 ns precision, given with a +02:00 offset: read back as the same instant in UTC.
            StartedAt = new DateTimeOffset(s.Start.UtcDateTime.AddHours(3).AddTicks(1_234_567).Ticks, TimeSpan.Zero).ToOffset(TimeSpan.FromHours(2)),
            EndedAt = s.Start.AddHours(3).AddTicks(98_765_432), Route = "anthropic.messages", KeyId = "key_ab", Person = "Zoë Ünïcode",
            Team = "team 'quoted' \"double\"", Project = "p;DROP TABLE ledger;--", Feature = "f\nnewline", Ticket = "T-1", PullRequest = "o/r#1",
            Tags = "a=1,b=2", Provider = "anthropic", RequestedModel = s.Model, ServedModel = s.Model + "-served",
            Usage = new TokenUsage
            {
                UncachedInput = 4_000_000_000L, CacheRead = 7, CacheWrite5m = 11, CacheWrite1h = 13, Output = 17, Reasoning = 5,
                Tier = ServiceTier.Priority, WebSearchCalls = 3, WebFetchCalls = 4, FileSearchCalls = 5,
                AudioInput = 19, AudioOutput = 3, ImageInput = 23, ImageOutput = 2, Images = 29, AudioMilliseconds = 31_337, Characters = 37,
            },
            Cost = new CostBreakdown
            {
                UncachedInput = 12.345678901m, CacheRead = 0.0000000015m /* 1.5 nanos: half away from zero, 2 */, CacheWrite5m = 0.0000000004m,
                CacheWrite1h = 0.0000000004m, Output = 0.0000000004m, Reasoning = 0.000000001m, ToolCalls = 0.035m,
            },
            CatalogVersion = "cat-v7", Streamed = true, Estimated = true, Status = 529, Outcome = LedgerOutcome.ProviderError,
            ErrorCode = "overloaded", LatencyMs = 1234.5678901234, TimeToFirstTokenMs = 0.1, ProviderRequestId = "req_x",
            Source = "claude-code", SessionId = "sess-9", BudgetAction = "degraded:a->b", Justification = "incident #42",
            Savings = new SavingsBreakdown { Routed = 1.000000001m, Degraded = 0.5m, Capped = 0m, CacheBreakpoint = 0.0000000004m, CacheHit = 2m, Batch = -0.25m },
            Levers = "routed,degraded,cache-breakpoint", RouteScore = 0.731, ParentId = "evt-parent", OutputControl = "max_tokens=1024(default)",
            PriceEstimated = true,
            // Fingerprints: 64-bit hashes at both ends of the range, counts, and the names waste detection reads.
            PrefixHash = long.MinValue, PrefixTokens = 6_000, PromptHash = long.MaxValue, TurnSimHash = -42, MessageCount = 7,
            FinishReason = "max_tokens", ToolCallCount = 3, ClientFamily = "claude-code", KeyKind = "automation",
            BatchId = "batch_tok1",
        };
        Assert.Equal(1, Store.Write([entry]));
        var stored = Assert.Single(Mine(s));
        // Money is stored as integer nano-USD: each bucket is rounded once (half away from zero), and the total is the
        // exact decimal total rounded once, not the sum of the rounded buckets (...904 summed, ...904.7 -> ...905 in total).
        var expected = entry with
        {
            StartedAt = entry.StartedAt.ToUniversalTime(),
            Cost = entry.Cost with { CacheRead = 0.000000002m, CacheWrite5m = 0m, CacheWrite1h = 0m, Output = 0m },
            CostNanos = NanoUsd.FromUsd(entry.Cost.Total),
            Savings = entry.Savings with { CacheBreakpoint = 0m },
        };
        Assert.Equal(12_380_678_905L, expected.CostNanos);
        Assert.Equal(expected, stored);
        Assert.Equal(TimeSpan.Zero, stored.StartedAt.Offset);
        Assert.Equal(entry.StartedAt.UtcTicks, stored.StartedAt.UtcTicks);
        Assert.Equal(entry.EndedAt.UtcTicks, stored.EndedAt.UtcTicks);
        Assert.Equal(expected.CostNanos, stored.CostNanos);
        Assert.Equal(entry.LatencyMs, stored.LatencyMs);
        // As asked = cost + every lever's saving, each lever rounded to the nano-dollar on its own.
        Assert.Equal(expected.CostNanos + 1_000_000_001L + 500_000_000L + 2_000_000_000L - 250_000_000L, stored.AsAskedNanos);
    }

    [Fact]
    public virtual void Missing_optional_values_read_back_as_missing()
    {
        var s = NewScope();
        var entry = new LedgerEntry { Id = s.Id(1), StartedAt = s.Start, EndedAt = s.Start, Route = "r", Outcome = LedgerOutcome.Refused };
        Assert.Equal(1, Store.Write([entry]));
        var fingerprints = Assert.Single(Mine(s));
        Assert.Null(fingerprints.PrefixHash);
        Assert.Null(fingerprints.PromptHash);
        Assert.Null(fingerprints.TurnSimHash);
        Assert.Null(fingerprints.FinishReason);
        Assert.Null(fingerprints.KeyKind);
        Assert.Equal(0, fingerprints.MessageCount);
        var stored = Assert.Single(Mine(s));
        Assert.Equal(entry with { CostNanos = 0 }, stored);
        Assert.Null(stored.Person);
        Assert.Null(stored.ServedModel);
        Assert.Null(stored.TimeToFirstTokenMs);
        Assert.Null(stored.BudgetAction);
        Assert.Equal("gateway", stored.Source);
        Assert.Equal(TokenUsage.Zero, stored.Usage);
        Assert.Equal(0, stored.CostNanos);
    }

    [Fact]
    public virtual void Tool_calls_and_their_cost_round_trip()
    {
        var s = NewScope();
        var entry = Row(s, 1, TimeSpan.Zero) with
        {
            Usage = new TokenUsage { WebSearchCalls = 12, WebFetchCalls = 3, FileSearchCalls = 40 },
            Cost = new CostBreakdown { ToolCalls = 0.123456789m },
        };
        Store.Write([entry]);
        var stored = Assert.Single(Mine(s));
        Assert.Equal((12L, 3L, 40L), (stored.Usage.WebSearchCalls, stored.Usage.WebFetchCalls, stored.Usage.FileSearchCalls));
        Assert.Equal(0.123456789m, stored.Cost.ToolCalls);
        Assert.Equal(123_456_789L, stored.CostNanos);
    }

    [Fact]
    public virtual void Priced_units_and_their_costs_round_trip_in_their_own_columns()
    {
        var s = NewScope();
        var entry = Row(s, 1, TimeSpan.Zero) with
        {
            Usage = new TokenUsage
            {
                UncachedInput = 1000, AudioInput = 400, ImageInput = 100, Output = 500, AudioOutput = 300, ImageOutput = 150,
                Images = 2, AudioMilliseconds = 12_500, Characters = 1000,
            },
            Cost = new CostBreakdown
            {
                AudioInput = 0.016m, AudioOutput = 0.024m, ImageInput = 0.001m, ImageOutput = 0.006m, Images = 0.08m,
                AudioSeconds = 0.00125m, Characters = 0.015m,
            },
        };
        Store.Write([entry]);
        var stored = Assert.Single(Mine(s));
        Assert.Equal(entry.Usage, stored.Usage);
        Assert.Equal(entry.Cost, stored.Cost);
        Assert.Equal(143_250_000L, stored.CostNanos); // 0.016 + 0.024 + 0.001 + 0.006 + 0.08 + 0.00125 + 0.015
    }

    [Fact]
    public virtual void Merge_adds_new_rows_and_replaces_a_row_only_with_a_copy_carrying_more_tokens()
    {
        var s = NewScope();
        var a = Row(s, 1, TimeSpan.FromMinutes(1));
        var grown = a with { Usage = a.Usage with { Output = a.Usage.Output + 500 }, Cost = a.Cost with { Output = 0.5m }, CostNanos = NanoUsd.FromUsd(a.Cost.Total + 0.498m), Person = "grace" };
        var shrunk = a with { Usage = a.Usage with { Output = 1 }, Person = "mallory" };
        var before = Store.Count();
        Assert.Equal(2, Merge([a, Row(s, 2, TimeSpan.FromMinutes(2))]));
        Assert.Equal(1, Merge([grown]));
        Assert.Equal(0, Merge([grown]));
        Assert.Equal(0, Merge([shrunk]));
        // An id written by the gateway can be grown by an import too; Write never replaces.
        // (with savings: the grown copy, which has none, takes them back out of the rollups)
        var b = WithSavings(Row(s, 3, TimeSpan.FromHours(30)), 1);
        Store.Write([b]);
        Assert.Equal(1, Merge([b with { Usage = b.Usage with { CacheRead = 4000 }, Cost = b.Cost with { CacheRead = 0.004m }, Savings = SavingsBreakdown.Zero, Levers = null }]));
        Assert.Equal(0, Store.Write([b]));
        Assert.Equal(before + 3, Store.Count());
        var stored = Mine(s);
        Assert.Equal(grown, stored[0]);
        Assert.Equal(4000, stored[2].Usage.CacheRead);
        AssertRollupsMatchTheLedger(s);
    }

    [Fact]
    public virtual void Merge_compares_copies_of_one_id_within_a_batch_in_order()
    {
        var s = NewScope();
        var small = Row(s, 1, TimeSpan.FromMinutes(1));
        var large = small with { Usage = small.Usage with { UncachedInput = 50_000 }, Cost = small.Cost with { UncachedInput = 0.05m } };
        // Small first, then large: both count (added, then grown); large first: the small copy changes nothing.
        Assert.Equal(2, Merge([small, large]));
        var other = Row(s, 2, TimeSpan.FromHours(2));
        var otherLarge = other with { Usage = other.Usage with { Output = 90_000 } };
        Assert.Equal(1, Merge([otherLarge, other]));
        var stored = Mine(s);
        Assert.Equal(50_000, stored[0].Usage.UncachedInput);
        Assert.Equal(90_000, stored[1].Usage.Output);
        AssertRollupsMatchTheLedger(s);
    }

    /// <summary>The rollup tables by name, with their dimensions (bucket aside).</summary>
    public static readonly (string Table, string Level, string[] Dims)[] RollupTables =
    [
        (LedgerRollups.Hourly, "hour", ["person", "team", "project", "feature", "model", "provider", "outcome"]),
        (LedgerRollups.Daily, "day", ["person", "team", "project", "feature", "model", "provider", "outcome"]),
        (LedgerRollups.Weekly, "week", ["person", "team", "project", "feature", "model", "provider", "outcome"]),
        (LedgerRollups.Monthly, "month", ["person", "team", "project", "feature", "model", "provider", "outcome"]),
        (LedgerRollups.HourlyOrg, "hour", ["team", "project", "model", "provider"]),
        (LedgerRollups.DailyOrg, "day", ["team", "project", "model", "provider"]),
        (LedgerRollups.WeeklyOrg, "week", ["team", "project", "model", "provider"]),
        (LedgerRollups.MonthlyOrg, "month", ["team", "project", "model", "provider"]),
        (LedgerRollups.DailyModel, "day", ["model", "provider"]),
    ];

    private static readonly string[] Measures =
    [
        "requests", "uncached_input_tokens", "cache_read_tokens", "cache_write_5m_tokens", "cache_write_1h_tokens", "output_tokens",
        "reasoning_tokens", "cost_nanos", "cache_read_nanos", "cache_hit_requests", "degraded_requests", "error_requests",
        "levered_requests", "moved_requests", "saved_routed_nanos", "saved_degraded_nanos", "saved_capped_nanos", "saved_cache_breakpoint_nanos",
        "saved_cache_hit_nanos", "saved_batch_nanos", "lever_routed_requests", "lever_degraded_requests", "lever_capped_requests",
        "lever_cache_breakpoint_requests", "lever_cache_hit_requests", "lever_batch_requests",
        "tool_call_nanos", "audio_nanos", "image_nanos",
    ];

    /// <summary>Savings as the settle stage records them, on some of a test's rows: every lever, negative parts, a lever that saves nothing.</summary>
    private static LedgerEntry WithSavings(LedgerEntry e, int n) => (n % 4) switch
    {
        0 => e with { RequestedModel = "auto", Savings = new SavingsBreakdown { Routed = 0.0000123456789m * n }, Levers = n % 8 == 0 ? "routed,capped" : "routed" },
        1 => e with { Savings = new SavingsBreakdown { Degraded = 0.00042m, CacheBreakpoint = -0.000000333m }, Levers = "degraded,cache-breakpoint", RequestedModel = "bigger" },
        2 => e with { Savings = new SavingsBreakdown { CacheHit = 0.01m, Batch = 0.002m }, Levers = "cache-hit,batch" },
        _ => e with { RequestedModel = "auto", Savings = new SavingsBreakdown { Routed = -0.0001m }, Levers = "routed" }, // a cascade's wasted attempt
    };

    [Fact]
    public virtual void Rollups_equal_the_ledger_after_duplicates_and_replays()
    {
        var s = NewScope();
        var rows = new List<LedgerEntry>();
        var n = 0;
        // Several hours of one day, several days of two weeks, across a month end (the scope starts on a Monday), with
        // people, teams, outcomes, cache hits, degraded rows and a missing person.
        foreach (var offset in new[] { 0.0, 0.5, 1, 1.2, 25, 49, 24 * 6 + 23.9, 24 * 7, 24 * 8 + 3, 24 * 26, 24 * 27 + 1, 24 * 33 })
        {
            n++;
            var row = Row(s, n, TimeSpan.FromHours(offset), person: n % 4 == 0 ? null : n % 2 == 0 ? "ada" : "grace", team: n % 3 == 0 ? "infra" : "core",
                outcome: n % 5 == 0 ? LedgerOutcome.UpstreamTimeout : LedgerOutcome.Ok, cacheRead: n % 2 == 0 ? 100 * n : 0,
                budgetAction: n % 6 == 0 ? "degraded:x->y" : n == 7 ? "warned" : null);
            rows.Add(n % 3 == 1 ? row : WithSavings(row, n));
        }
        // Batches that overlap, a replay of everything, and an id repeated within a batch with different numbers.
        Store.Write(rows.Take(5).ToList());
        Store.Write(rows.Skip(3).Take(6).ToList());
        Store.Write([rows[9], rows[9] with { Usage = rows[9].Usage with { Output = 1_000_000 } }, rows[10], rows[11]]);
        Store.Write(rows);

        Assert.Equal(rows.Count, Mine(s).Count);
        AssertRollupsMatchTheLedger(s);
    }

    [Fact]
    public virtual void The_savings_fill_of_step_1010_sets_the_rollups_savings_from_the_ledger()
    {
        // Rows written before the step had savings in the ledger only: zero the scope's savings measures, run the fill, compare.
        var s = NewScope();
        var rows = Enumerable.Range(1, 40).Select(n => WithSavings(Row(s, n, TimeSpan.FromHours(5.5 * n), person: n % 3 == 0 ? "ada" : "grace",
            team: n % 2 == 0 ? "core" : "infra"), n)).ToList();
        Store.Write(rows);
        using (var connection = OpenConnection())
        {
            var postgres = connection.GetType().Name.StartsWith("Npgsql", StringComparison.Ordinal);
            using var command = connection.CreateCommand();
            command.CommandText = string.Concat(RollupTables.Select(t =>
                $"UPDATE {t.Table} SET {string.Join(", ", Measures.Skip(12).Take(14).Select(m => m + " = 0"))} WHERE model = '{s.Model}';")) +
                LedgerRollups.SavingsBackfillSql(postgres);
            command.ExecuteNonQuery();
            // Run twice: the fill sets, never adds.
            command.ExecuteNonQuery();
        }
        AssertRollupsMatchTheLedger(s);
    }

    [Fact]
    public virtual void The_unit_fill_of_step_1620_sets_the_rollups_priced_units_from_the_ledger()
    {
        // Rows written before the step had their tool-call, audio and image costs in the ledger only: zero the scope's
        // unit measures, run the fill (twice: it sets, never adds), compare with the ledger.
        var s = NewScope();
        var rows = Enumerable.Range(1, 30).Select(n => Row(s, n, TimeSpan.FromHours(7.5 * n), person: n % 3 == 0 ? "ada" : "grace",
            team: n % 2 == 0 ? "core" : "infra")).ToList();
        Store.Write(rows);
        using (var connection = OpenConnection())
        {
            var postgres = connection.GetType().Name.StartsWith("Npgsql", StringComparison.Ordinal);
            using var command = connection.CreateCommand();
            command.CommandText = string.Concat(RollupTables.Select(t =>
                $"UPDATE {t.Table} SET {string.Join(", ", Measures.Skip(26).Select(m => m + " = 0"))} WHERE model = '{s.Model}';"));
            command.ExecuteNonQuery();
            Assert.Throws<Xunit.Sdk.TrueException>(() => AssertRollupsMatchTheLedger(s));
            command.CommandText = LedgerRollups.UnitsBackfillSql(postgres);
            command.ExecuteNonQuery();
            command.ExecuteNonQuery();
        }
        AssertRollupsMatchTheLedger(s);
    }

    [Fact]
    public virtual async Task Concurrent_writers_of_overlapping_batches_store_and_count_each_row_once()
    {
        // Replicas (or a replay beside live traffic) writing the same rows in different orders at once: with row or
        // rollup-cell locks taken in different orders this deadlocks; a store must order them or survive it.
        var s = NewScope();
        var rows = Enumerable.Range(1, 240).Select(n => WithSavings(Row(s, n, TimeSpan.FromMinutes(7 * n), person: n % 3 == 0 ? "ada" : "grace",
            team: n % 2 == 0 ? "core" : "infra", cacheRead: n % 4 * 10), n)).ToList();
        const int Writers = 4;
        using var start = new Barrier(Writers);
        var written = await Task.WhenAll(Enumerable.Range(0, Writers).Select(w => Task.Run(() =>
        {
            var order = rows.OrderBy(_ => Random.Shared.Next()).ToList();
            start.SignalAndWait();
            return order.Chunk(24).Sum(batch => Store.Write(batch));
        })));
        Assert.Equal(rows.Count, written.Sum());
        Assert.Equal(rows.Count, Mine(s).Count);
        AssertRollupsMatchTheLedger(s);
    }

    private void AssertRollupsMatchTheLedger(Scope s)
    {
        var ledger = Mine(s);
        foreach (var (table, level, dims) in RollupTables)
        {
            var expected = Expected(ledger, level, dims);
            var actual = ReadRollup(table, dims, s.Model);
            Assert.True(expected.SequenceEqual(actual), $"{table}: expected\n{string.Join('\n', expected)}\nbut found\n{string.Join('\n', actual)}");
            Assert.Equal(ledger.Count, actual.Sum(r => r.Measures[0]));
            Assert.Equal(ledger.Sum(e => e.CostNanos), actual.Sum(r => r.Measures[7]));
        }
    }

    /// <summary>A rollup row as text keys and integer measures, comparable across backends.</summary>
    protected sealed record RollupRow(string Key, long[] Measures)
    {
        public override string ToString() => Key + " | " + string.Join(" ", Measures);
        public bool Equals(RollupRow? other) => other is not null && Key == other.Key && Measures.SequenceEqual(other.Measures);
        public override int GetHashCode() => Key.GetHashCode(StringComparison.Ordinal);
    }

    private List<RollupRow> ReadRollup(string table, string[] dims, string model)
    {
        using var connection = OpenConnection();
        using var query = connection.CreateCommand();
        // The model is generated by the test (letters and digits): no parameter syntax to tell the backends apart.
        query.CommandText = $"SELECT bucket, {string.Join(", ", dims)}, {string.Join(", ", Measures)} FROM {table} WHERE model = '{model}';";
        var rows = new List<RollupRow>();
        using var reader = query.ExecuteReader();
        while (reader.Read())
        {
            var key = string.Join("|", Enumerable.Range(0, dims.Length + 1).Select(reader.GetString));
            var measures = Enumerable.Range(dims.Length + 1, Measures.Length).Select(reader.GetInt64).ToArray();
            rows.Add(new RollupRow(key, measures));
        }
        return rows.OrderBy(r => r.Key, StringComparer.Ordinal).ToList();
    }

    /// <summary>The rollup rows a table must hold for these ledger rows, computed from scratch (not with LedgerRollups).</summary>
    private static List<RollupRow> Expected(IReadOnlyList<LedgerEntry> ledger, string level, string[] dims)
    {
        string Bucket(DateTimeOffset t)
        {
            var u = t.UtcDateTime;
            return level switch
            {
                "hour" => u.ToString("yyyy-MM-dd'T'HH", CultureInfo.InvariantCulture),
                "day" => u.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
                "month" => u.ToString("yyyy-MM", CultureInfo.InvariantCulture),
                _ => u.Date.AddDays(-(((int)u.DayOfWeek + 6) % 7)).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            };
        }
        string Dim(LedgerEntry e, string d) => d switch
        {
            "person" => e.Person ?? "", "team" => e.Team ?? "", "project" => e.Project ?? "", "feature" => e.Feature ?? "",
            "model" => e.ServedModel ?? e.RequestedModel ?? "", "provider" => e.Provider ?? "", _ => e.Outcome.ToString(),
        };
        return ledger
            .GroupBy(e => string.Join("|", new[] { Bucket(e.StartedAt) }.Concat(dims.Select(d => Dim(e, d)))), StringComparer.Ordinal)
            .Select(g => new RollupRow(g.Key,
            [
                g.Count(), g.Sum(e => e.Usage.UncachedInput), g.Sum(e => e.Usage.CacheRead), g.Sum(e => e.Usage.CacheWrite5m),
                g.Sum(e => e.Usage.CacheWrite1h), g.Sum(e => e.Usage.Output), g.Sum(e => e.Usage.Reasoning), g.Sum(e => e.CostNanos),
                g.Sum(e => NanoUsd.FromUsd(e.Cost.CacheRead)), g.Count(e => e.Usage.CacheRead > 0),
                g.Count(e => e.BudgetAction?.StartsWith("degraded", StringComparison.Ordinal) == true), g.Count(e => e.Outcome != LedgerOutcome.Ok),
                g.Count(e => e.Levers is not null),
                g.Count(e => e.Savings.NanosOf(SavingsLevers.Routed) + e.Savings.NanosOf(SavingsLevers.Degraded) > 0 && e.ServedModel != e.RequestedModel),
                .. SavingsLevers.All.Select(l => g.Sum(e => e.Savings.NanosOf(l))),
                .. SavingsLevers.All.Select(l => (long)g.Count(e => e.Levers is { } names && names.Split(',').Contains(l))),
                g.Sum(e => NanoUsd.FromUsd(e.Cost.ToolCalls)),
                g.Sum(e => NanoUsd.FromUsd(e.Cost.AudioInput) + NanoUsd.FromUsd(e.Cost.AudioOutput) + NanoUsd.FromUsd(e.Cost.AudioSeconds) + NanoUsd.FromUsd(e.Cost.Characters)),
                g.Sum(e => NanoUsd.FromUsd(e.Cost.ImageInput) + NanoUsd.FromUsd(e.Cost.ImageOutput) + NanoUsd.FromUsd(e.Cost.Images)),
            ]))
            .OrderBy(r => r.Key, StringComparer.Ordinal).ToList();
    }
}
