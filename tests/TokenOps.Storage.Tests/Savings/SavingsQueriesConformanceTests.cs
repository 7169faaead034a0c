using TokenOps.Core.Ledger;
using TokenOps.Core.Metering;
using TokenOps.Core.Pricing;
using TokenOps.Core.Savings;

namespace TokenOps.Storage.Tests.Savings;

/// <summary>
/// What every backend's savings reads (<see cref="ISavingsQueries"/>, from the rollups) must answer, written once and run
/// on SQLite and PostgreSQL. Every test writes the same fixed rows (writes are idempotent on the event id) and checks the
/// answers against sums computed here from the rows and from what the ledger stored: the levers' savings, as-asked minus
/// cost and the ledger's saved_* columns are one figure, to the nano-dollar.
/// </summary>
public abstract class SavingsQueriesConformanceTests
{
    protected abstract ILedgerStore Store { get; }
    protected abstract ISavingsQueries Savings { get; }

    private static readonly DateTimeOffset Day0 = new(2026, 5, 4, 0, 0, 0, TimeSpan.Zero);
    private static readonly RollupFilter ThreeDays = new(Day0, Day0.AddDays(3));
    private static readonly string[] People = ["ada", "bo", "Zed", "émile"];
    private static readonly string[] Teams = ["core", "Payments"];
    private static readonly string[] Models = ["gpt-4o", "claude-sonnet-4-5", "Gpt-upper"];

    /// <summary>
    /// 80 rows over three days (plus two outside them): every lever but batch (its row must still be there, at zero), a
    /// lever that saves nothing (caps), negative savings (a cache write without a read, a cascade's wasted attempt), a
    /// route to the strongest model (routed, nothing saved, not moved), savings with fractions of a nano-dollar, rows
    /// without team or project.
    /// </summary>
    protected static IReadOnlyList<LedgerEntry> Data { get; } = Enumerable.Range(0, 80).Select(Row).Append(Outside(-1)).Append(Outside(3 * 24)).ToList();

    private static LedgerEntry Row(int n)
    {
        var person = People[n % People.Length];
        var at = Day0.AddMinutes(n * 53 + n % 7);
        var model = Models[n % 3];
        var usage = new TokenUsage { UncachedInput = 300 + 7 * n, CacheRead = n % 4 == 0 ? 120 : 0, Output = 40 + n % 13 };
        var cost = new CostBreakdown { UncachedInput = 0.0000011m * usage.UncachedInput, CacheRead = 0.0000001m * usage.CacheRead, Output = 0.0000043m * usage.Output };
        string? requested = model, served = model, levers = null;
        var savings = SavingsBreakdown.Zero;
        switch (n % 10)
        {
            case 0: // routed to a cheaper model (and capped on every other one)
                (requested, served) = ("auto", "gpt-4o-mini");
                savings = new SavingsBreakdown { Routed = 0.0012345678m + n * 0.0000000013m };
                levers = n % 20 == 0 ? "routed,capped" : "routed";
                break;
            case 1: // capped only: a lever that saves nothing by this measure
                levers = "capped";
                break;
            case 2: // prompt-cache help: a saving, or the write premium of a first turn
                savings = new SavingsBreakdown { CacheBreakpoint = n % 4 == 2 ? -0.00004567891m : 0.00023456789m };
                levers = "cache-breakpoint";
                break;
            case 3: // degraded by a soft budget
                served = "gpt-4o-mini";
                savings = new SavingsBreakdown { Degraded = 0.0009876543210m };
                levers = "degraded";
                break;
            case 5: // routed and then degraded, with the breakpoints added too
                (requested, served) = ("auto", "gpt-4o-mini");
                savings = new SavingsBreakdown { Routed = 0.0004m, Degraded = 0.00011111111111m, CacheBreakpoint = 0.000002m };
                levers = "routed,degraded,cache-breakpoint";
                break;
            case 6: // a cascade's wasted attempt: routed, costs what it cost
                (requested, served) = ("auto", "gpt-4o-mini");
                savings = new SavingsBreakdown { Routed = -cost.Total };
                levers = "routed";
                break;
            case 7: // routed to the strongest candidate: the lever applied, nothing saved, not moved
                (requested, served) = ("auto", "gpt-4o");
                levers = "routed";
                break;
            case 8: // the response cache answered
                savings = new SavingsBreakdown { CacheHit = 0.00314159265m };
                levers = "cache-hit";
                break;
        }
        return new LedgerEntry
        {
            Id = $"evt_sav_{n:D3}", StartedAt = at, EndedAt = at.AddMilliseconds(400), Route = "openai.chat", KeyId = "key_" + person,
            Person = person, Team = n % 17 == 16 ? null : Teams[Array.IndexOf(People, person) % 2], Project = n % 9 == 8 ? null : n % 2 == 0 ? "atlas" : "Borealis",
            Provider = "openai", RequestedModel = requested, ServedModel = served, Usage = usage, Cost = cost,
            Status = 200, Outcome = LedgerOutcome.Ok, LatencyMs = 20, Source = "gateway", Savings = savings, Levers = levers,
        };
    }

    /// <summary>A levered row just outside the three days (an hour before, or at their end).</summary>
    private static LedgerEntry Outside(int hour) => Row(0) with
    {
        Id = $"evt_sav_out_{hour + 1:D3}", StartedAt = Day0.AddHours(hour).AddMinutes(30), EndedAt = Day0.AddHours(hour).AddMinutes(31),
        Savings = new SavingsBreakdown { Routed = 1m, Degraded = 1m },
    };

    private static IReadOnlyList<LedgerEntry> InRange => Data.Where(e => e.StartedAt >= Day0 && e.StartedAt < Day0.AddDays(3)).ToList();

    protected void Seed() => Store.Write(Data);

    private static bool Applied(LedgerEntry e, string lever) => e.Levers is { } l && l.Split(',').Contains(lever);

    private static bool Moved(LedgerEntry e) =>
        e.Savings.NanosOf(SavingsLevers.Routed) + e.Savings.NanosOf(SavingsLevers.Degraded) > 0
        && e.ServedModel is { } served && served != (e.RequestedModel ?? "");

    private static long Saved(IEnumerable<LedgerEntry> rows, string lever) => rows.Sum(e => e.Savings.NanosOf(lever));

    [Fact]
    public virtual void By_lever_one_row_per_lever_and_every_total_reconciles_with_the_ledger()
    {
        Seed();
        var report = Savings.Report(ThreeDays, SavingsDimension.Lever);
        var rows = InRange;
        Assert.Empty(report.Rows);
        Assert.Equal(SavingsLevers.All, report.Levers.Select(l => l.Lever));
        foreach (var lever in report.Levers)
        {
            var applied = rows.Where(e => Applied(e, lever.Lever)).ToList();
            Assert.True(applied.Count == lever.Requests, lever.Lever);
            Assert.True(Saved(rows, lever.Lever) == lever.SavedNanos, lever.Lever);
        }
        // Batch applied to nothing here: its row is there, at zero. Caps applied and saved nothing.
        Assert.Equal(new LeverRow(SavingsLevers.Batch, 0, 0), report.Levers[^1]);
        Assert.True(report.Levers.Single(l => l.Lever == SavingsLevers.Capped) is { Requests: > 0, SavedNanos: 0 });

        var total = report.Total;
        Assert.Equal(rows.Count, total.Requests);
        Assert.Equal(rows.Count(e => e.Levers is not null), total.LeveredRequests);
        Assert.Equal(rows.Count(Moved), total.MovedRequests);
        Assert.Equal(rows.Sum(e => e.CostNanos), total.CostNanos);

        // The reconciliation, to the nano-dollar: the levers' savings = as-asked − cost = the ledger's saved_* columns.
        var stored = Store.Read(Day0, Day0.AddDays(3));
        Assert.Equal(rows.Count, stored.Count);
        var ledgerSaved = SavingsLevers.All.Sum(l => Saved(stored, l));
        Assert.Equal(ledgerSaved, report.Levers.Sum(l => l.SavedNanos));
        Assert.Equal(ledgerSaved, total.AsAskedNanos - total.CostNanos);
        Assert.Equal(ledgerSaved, total.SavedNanos);
        Assert.Equal(stored.Sum(e => e.AsAskedNanos), total.AsAskedNanos);
        foreach (var lever in SavingsLevers.All) Assert.Equal(Saved(stored, lever), total.Saved.Of(lever));
        Assert.NotEqual(0, ledgerSaved);
    }

    [Theory]
    [InlineData(SavingsDimension.Team)]
    [InlineData(SavingsDimension.Person)]
    [InlineData(SavingsDimension.Project)]
    [InlineData(SavingsDimension.Model)]
    public virtual void By_a_dimension_each_group_holds_its_rows_biggest_saving_first(SavingsDimension by)
    {
        Seed();
        Func<LedgerEntry, string> key = by switch
        {
            SavingsDimension.Team => e => e.Team ?? "",
            SavingsDimension.Person => e => e.Person ?? "",
            SavingsDimension.Project => e => e.Project ?? "",
            _ => e => e.ServedModel ?? e.RequestedModel ?? "",
        };
        var report = Savings.Report(ThreeDays, by);
        var expected = InRange.GroupBy(key).Select(g => new SavingsRow(g.Key, g.Count(), g.Count(e => e.Levers is not null), g.Count(Moved),
                g.Sum(e => e.CostNanos), LeverNanos.From(SavingsLevers.All.Select(l => Saved(g, l)).ToList())))
            .OrderByDescending(r => r.SavedNanos).ThenByDescending(r => r.CostNanos).ThenBy(r => r.Key, StringComparer.Ordinal).ToList();
        Assert.Equal(expected, report.Rows);
        Assert.Equal(report.Total, report.Rows.Aggregate(SavingsRow.Empty("total"), (a, r) => a + r));
        Assert.Equal(6, report.Levers.Count);
    }

    [Fact]
    public virtual void Filters_narrow_every_figure_alike()
    {
        Seed();
        var filter = ThreeDays with { Team = "Payments", Model = "gpt-4o-mini" };
        var report = Savings.Report(filter, SavingsDimension.Person);
        var mine = InRange.Where(e => e.Team == "Payments" && e.ServedModel == "gpt-4o-mini").ToList();
        Assert.NotEmpty(mine);
        Assert.Equal(mine.Count, report.Total.Requests);
        Assert.Equal(mine.Sum(e => e.CostNanos), report.Total.CostNanos);
        Assert.Equal(mine.Count(Moved), report.Total.MovedRequests);
        Assert.Equal(SavingsLevers.All.Sum(l => Saved(mine, l)), report.Total.SavedNanos);
        Assert.Equal(mine.Select(e => e.Person).Distinct().Order(StringComparer.Ordinal), report.Rows.Select(r => r.Key).Order(StringComparer.Ordinal));
        foreach (var lever in report.Levers) Assert.Equal(mine.Count(e => Applied(e, lever.Lever)), lever.Requests);

        var person = Savings.Report(ThreeDays with { Person = "émile" }, SavingsDimension.Lever);
        var hers = InRange.Where(e => e.Person == "émile").ToList();
        Assert.Equal(hers.Count, person.Total.Requests);
        Assert.Equal(hers.Sum(e => e.AsAskedNanos), person.Total.AsAskedNanos);
    }

    [Fact]
    public virtual void A_range_is_read_at_hour_precision_like_the_rollups()
    {
        Seed();
        // Hours 5 to 17 of the first day (the hourly rollups); an end inside an hour counts that hour.
        var part = Savings.Report(new RollupFilter(Day0.AddHours(5).AddMinutes(20), Day0.AddHours(16).AddMinutes(1)), SavingsDimension.Lever).Total;
        var rows = Data.Where(e => e.StartedAt >= Day0.AddHours(5) && e.StartedAt < Day0.AddHours(17)).ToList();
        Assert.Equal(rows.Count, part.Requests);
        Assert.Equal(rows.Sum(e => e.CostNanos), part.CostNanos);
        Assert.Equal(rows.Sum(e => e.AsAskedNanos), part.AsAskedNanos);
        // The hour before the three days holds one levered row; a range with no rows at all is zero, six levers still listed.
        var before = Savings.Report(new RollupFilter(Day0.AddHours(-1), Day0), SavingsDimension.Team);
        Assert.Equal((1, 2_000_000_000L), (before.Total.Requests, before.Total.SavedNanos));
        var empty = Savings.Report(new RollupFilter(Day0.AddDays(-30), Day0.AddDays(-29)), SavingsDimension.Team);
        Assert.Equal(SavingsRow.Empty("total"), empty.Total);
        Assert.Empty(empty.Rows);
        Assert.Equal(SavingsLevers.All.Select(l => new LeverRow(l, 0, 0)), empty.Levers);
    }

    [Fact]
    public virtual void Several_groupings_in_one_read_equal_one_at_a_time()
    {
        Seed();
        var many = Savings.Reports(ThreeDays, SavingsDimension.Lever, SavingsDimension.Team, SavingsDimension.Model);
        Assert.Equal(3, many.Count);
        foreach (var (by, report) in many)
        {
            var single = Savings.Report(ThreeDays, by);
            Assert.Equal(single.Rows, report.Rows);
            Assert.Equal(single.Levers, report.Levers);
            Assert.Equal(single.Total, report.Total);
        }
    }
}
