using Microsoft.Extensions.Time.Testing;
using TokenOps.Core.Budgets;
using TokenOps.Core.Ledger;

namespace TokenOps.Storage.Tests.Budgets;

/// <summary>
/// What every <see cref="IBudgetStore"/> must do, written once: budgets set, replaced, deleted and listed, the version
/// moving once per change (and not on a delete of nothing), and <see cref="ISpendHistory.SpentNanos"/> over the
/// ledger. Tests of a class share the database, so each uses its own budget ids, names and ledger time window, and
/// checks the version as a difference (tests of one class run one at a time).
/// </summary>
public abstract class BudgetStoreConformanceTests
{
    protected FakeTimeProvider Clock { get; } = new(new DateTimeOffset(2026, 5, 6, 7, 8, 9, TimeSpan.Zero).AddTicks(7654321));

    /// <summary>The backend's budget store on this test class's database, reading time from <paramref name="time"/>.</summary>
    protected abstract IBudgetStore CreateStore(TimeProvider time);

    /// <summary>The backend's ledger on the same database (to write the rows SpentNanos sums).</summary>
    protected abstract ILedgerStore Ledger { get; }

    private IBudgetStore? _store;
    protected IBudgetStore Store => _store ??= CreateStore(Clock);

    private static int _windows;

    protected static string Unique() => Guid.NewGuid().ToString("N")[..10];

    /// <summary>A 10-day ledger window no other test of the class writes into.</summary>
    protected static DateTimeOffset NewWindow() =>
        new DateTimeOffset(2031, 1, 1, 0, 0, 0, TimeSpan.Zero).AddDays(10 * Interlocked.Increment(ref _windows));

    protected static StoredBudget Budget(string id, BudgetLevel level = BudgetLevel.Team, string name = "core", long limit = 5_000_000_000,
        string period = "monthly", string zone = "Europe/Paris", BudgetMode mode = BudgetMode.Soft, SoftAction soft = SoftAction.Degrade,
        bool rollover = true, long ceiling = 1_250_000_001) =>
        new(id, level, name, limit, period, zone, mode, soft, rollover, ceiling, DateTimeOffset.UnixEpoch);

    private static BudgetPolicy Policy(BudgetLevel level, string name) =>
        new("b", level, name, 10m, BudgetPeriod.Monthly(), BudgetMode.Hard, SoftAction.Warn, Rollover.Off);

    private static LedgerEntry Row(string id, DateTimeOffset at, long costNanos, string? person, string? team, string? project) => new()
    {
        Id = id, StartedAt = at, EndedAt = at.AddSeconds(1), Route = "openai.chat", Person = person, Team = team, Project = project,
        Provider = "openai", RequestedModel = "m", ServedModel = "m", CostNanos = costNanos, Outcome = LedgerOutcome.Ok, Status = 200,
    };

    [Fact]
    public virtual void Set_stores_every_field_and_bumps_the_version_once()
    {
        var id = "b-" + Unique();
        var before = Store.Version();

        Store.Set(Budget(id));

        Assert.Equal(before + 1, Store.Version());
        var stored = Assert.Single(Store.List(), b => b.Id == id);
        // UpdatedAt is the store's clock, not the caller's value.
        Assert.Equal(Budget(id) with { UpdatedAt = Clock.GetUtcNow() }, stored);
    }

    [Fact]
    public virtual void Set_of_an_existing_id_replaces_it()
    {
        var id = "b-" + Unique();
        Store.Set(Budget(id));
        Clock.Advance(TimeSpan.FromMinutes(3));
        var before = Store.Version();
        var replacement = Budget(id, BudgetLevel.Person, "ada", 42, "rolling:7", "UTC", BudgetMode.Hard, SoftAction.RequireJustification, false, 0);

        Store.Set(replacement);

        Assert.Equal(before + 1, Store.Version());
        Assert.Equal(replacement with { UpdatedAt = Clock.GetUtcNow() }, Assert.Single(Store.List(), b => b.Id == id));
    }

    [Fact]
    public virtual void Every_enum_value_round_trips()
    {
        var u = Unique();
        var budgets = (
            from level in Enum.GetValues<BudgetLevel>()
            from mode in Enum.GetValues<BudgetMode>()
            from soft in Enum.GetValues<SoftAction>()
            select Budget($"e-{u}-{level}-{mode}-{soft}", level, "n", mode: mode, soft: soft, rollover: soft == SoftAction.Warn)).ToList();
        foreach (var b in budgets) Store.Set(b);

        var stored = Store.List().Where(b => b.Id.StartsWith($"e-{u}-", StringComparison.Ordinal)).ToList();

        Assert.Equal(budgets.Select(b => b with { UpdatedAt = Clock.GetUtcNow() }).OrderBy(b => b.Id, StringComparer.Ordinal), stored);
    }

    [Fact]
    public virtual void Delete_removes_the_budget_and_bumps_the_version()
    {
        var id = "b-" + Unique();
        var kept = "b-" + Unique();
        Store.Set(Budget(id));
        Store.Set(Budget(kept));
        var before = Store.Version();

        Assert.True(Store.Delete(id));

        Assert.Equal(before + 1, Store.Version());
        Assert.DoesNotContain(Store.List(), b => b.Id == id);
        Assert.Contains(Store.List(), b => b.Id == kept);
    }

    [Fact]
    public virtual void Delete_of_an_unknown_id_returns_false_and_leaves_the_version()
    {
        var id = "b-" + Unique();
        Store.Set(Budget(id));
        Assert.True(Store.Delete(id));
        var before = Store.Version();

        Assert.False(Store.Delete(id));
        Assert.False(Store.Delete("never-" + Unique()));

        Assert.Equal(before, Store.Version());
    }

    [Fact]
    public virtual void The_version_counts_every_change_and_is_seen_by_another_store_on_the_same_database()
    {
        var u = Unique();
        var other = CreateStore(TimeProvider.System);
        var before = other.Version();

        Store.Set(Budget("a-" + u));
        Store.Set(Budget("b-" + u));
        Store.Set(Budget("a-" + u, limit: 7));
        Store.Delete("b-" + u);

        Assert.Equal(before + 4, other.Version());
        Assert.Equal(Store.Version(), other.Version());
        Assert.Equal(7, Assert.Single(other.List(), b => b.Id == "a-" + u).LimitNanos);
    }

    [Fact]
    public virtual void List_is_in_id_byte_order()
    {
        var u = Unique();
        // Ordinal order: upper case before lower case, '-' before digits.
        string[] ids = [$"x{u}-b", $"x{u}-B", $"x{u}-a", $"x{u}-A", $"x{u}-10", $"x{u}-9"];
        foreach (var id in ids) Store.Set(Budget(id));

        var listed = Store.List().Select(b => b.Id).Where(id => id.StartsWith("x" + u, StringComparison.Ordinal)).ToList();

        Assert.Equal(ids.Order(StringComparer.Ordinal), listed);
    }

    [Fact]
    public virtual void SpentNanos_sums_the_rows_started_in_the_half_open_range()
    {
        var w = NewWindow();
        var u = Unique();
        Ledger.Write([
            Row($"r-{u}-1", w.AddTicks(-1), 1_000, "ada", "core", "atlas"),  // before the range
            Row($"r-{u}-2", w, 20_000, "ada", "core", "atlas"),              // its first tick counts
            Row($"r-{u}-3", w.AddDays(1).AddTicks(1), 300_000, "bob", "web", "atlas"),
            Row($"r-{u}-4", w.AddDays(2).AddTicks(-1), 4_000_000, null, null, null),
            Row($"r-{u}-5", w.AddDays(2), 50_000_000, "ada", "core", "atlas"), // its end is excluded
        ]);

        Assert.Equal(4_320_000, Store.SpentNanos(Policy(BudgetLevel.Organisation, "org"), w, w.AddDays(2)));
        Assert.Equal(54_320_000, Store.SpentNanos(Policy(BudgetLevel.Organisation, "org"), w, w.AddDays(3)));
        Assert.Equal(54_321_000, Store.SpentNanos(Policy(BudgetLevel.Organisation, "org"), w.AddTicks(-1), w.AddDays(3)));
        Assert.Equal(0, Store.SpentNanos(Policy(BudgetLevel.Organisation, "org"), w.AddDays(5), w.AddDays(6)));
        Assert.Equal(0, Store.SpentNanos(Policy(BudgetLevel.Organisation, "org"), w, w));
    }

    [Fact]
    public virtual void SpentNanos_filters_by_person_team_or_project()
    {
        var w = NewWindow();
        var u = Unique();
        string ada = "ada-" + u, bob = "bob-" + u, core = "core-" + u, web = "web-" + u, atlas = "atlas-" + u, zeus = "zeus-" + u;
        Ledger.Write([
            Row($"f-{u}-1", w.AddHours(1), 1, ada, core, atlas),
            Row($"f-{u}-2", w.AddHours(2), 20, ada, core, zeus),
            Row($"f-{u}-3", w.AddHours(3), 300, bob, core, atlas),
            Row($"f-{u}-4", w.AddHours(4), 4_000, bob, web, null),
            Row($"f-{u}-5", w.AddHours(5), 50_000, null, web, zeus),
            Row($"f-{u}-6", w.AddDays(3), 600_000, ada, core, atlas), // outside the range
        ]);
        var to = w.AddDays(1);

        Assert.Equal(21, Store.SpentNanos(Policy(BudgetLevel.Person, ada), w, to));
        Assert.Equal(4_300, Store.SpentNanos(Policy(BudgetLevel.Person, bob), w, to));
        Assert.Equal(321, Store.SpentNanos(Policy(BudgetLevel.Team, core), w, to));
        Assert.Equal(54_000, Store.SpentNanos(Policy(BudgetLevel.Team, web), w, to));
        Assert.Equal(301, Store.SpentNanos(Policy(BudgetLevel.Project, atlas), w, to));
        Assert.Equal(50_020, Store.SpentNanos(Policy(BudgetLevel.Project, zeus), w, to));
        Assert.Equal(600_321, Store.SpentNanos(Policy(BudgetLevel.Team, core), w, w.AddDays(4)));
        // The organisation covers every row, whatever the policy's name; an unknown name covers none.
        Assert.Equal(54_321, Store.SpentNanos(Policy(BudgetLevel.Organisation, "anything"), w, to));
        Assert.Equal(0, Store.SpentNanos(Policy(BudgetLevel.Person, "nobody-" + u), w, to));
        // A person's name is not a team's or a project's.
        Assert.Equal(0, Store.SpentNanos(Policy(BudgetLevel.Team, ada), w, to));
        Assert.Equal(0, Store.SpentNanos(Policy(BudgetLevel.Project, core), w, to));
    }

    [Fact]
    public virtual void SpentNanos_sums_beyond_the_range_of_an_int()
    {
        var w = NewWindow();
        var u = Unique();
        var big = 3_000_000_000_000L; // 3,000 USD in nanos, well past int.MaxValue
        Ledger.Write([Row($"g-{u}-1", w, big, "ada-" + u, "core", null), Row($"g-{u}-2", w.AddMinutes(1), big, "ada-" + u, "core", null)]);

        Assert.Equal(2 * big, Store.SpentNanos(Policy(BudgetLevel.Person, "ada-" + u), w, w.AddDays(1)));
    }

    [Fact]
    public virtual async Task Concurrent_changes_each_bump_the_version_exactly_once()
    {
        var u = Unique();
        var before = Store.Version();
        using var start = new Barrier(6);

        await Task.WhenAll(Enumerable.Range(0, 6).Select(i => Task.Run(() =>
        {
            var store = CreateStore(Clock);
            start.SignalAndWait();
            for (var n = 0; n < 5; n++) store.Set(Budget($"c-{u}-{i}", limit: n));
            Assert.True(store.Delete($"c-{u}-{i}"));
            store.Set(Budget($"c-{u}-{i}", limit: 99));
        })));

        Assert.Equal(before + 6 * 7, Store.Version());
        Assert.Equal(Enumerable.Repeat(99L, 6), Store.List().Where(b => b.Id.StartsWith($"c-{u}-", StringComparison.Ordinal)).Select(b => b.LimitNanos));
    }
}
