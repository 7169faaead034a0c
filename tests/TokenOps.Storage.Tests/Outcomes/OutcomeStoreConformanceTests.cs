using TokenOps.Core.Outcomes;

namespace TokenOps.Storage.Tests.Outcomes;

/// <summary>
/// What every <see cref="IOutcomeStore"/> must do, written once; each backend is a subclass that supplies the store.
/// Tests of a class share its database: each works under its own <see cref="Scope"/> (source, person, a 40-day window of
/// completion times apart from every other scope's) and checks Count as a difference.
/// </summary>
public abstract class OutcomeStoreConformanceTests
{
    protected abstract IOutcomeStore Store { get; }

    private static int _scopes;

    protected sealed class Scope
    {
        public Scope(int index)
        {
            Name = $"o{index:D3}{Guid.NewGuid().ToString("N")[..6]}";
            Start = new DateTimeOffset(2025, 3, 3, 0, 0, 0, TimeSpan.Zero).AddDays(40 * index);
        }

        public string Name { get; }
        public DateTimeOffset Start { get; }
        public DateTimeOffset End => Start.AddDays(40);
        public string Source => "src-" + Name;
        public string Person => "ada-" + Name;
    }

    protected static Scope NewScope() => new(Interlocked.Increment(ref _scopes));

    protected static Outcome Make(Scope s, string sourceId, TimeSpan completedAfterStart, string? person = null, decimal? value = 125.5m) => new()
    {
        Source = s.Source, SourceId = sourceId, Type = OutcomeType.Pr, Title = "Fix the thing " + sourceId, Person = person ?? s.Person,
        Team = "core", Project = "atlas", Repository = "acme/shop", Branch = "fix/" + sourceId, Key = "acme/shop#" + sourceId,
        StartedAt = s.Start + completedAfterStart - TimeSpan.FromDays(2), CompletedAt = s.Start + completedAfterStart, ValueUsd = value,
    };

    private IReadOnlyList<Outcome> Mine(Scope s) => Store.List(s.Start, s.End).Where(o => o.Source == s.Source).ToList();

    [Fact]
    public virtual void Add_is_idempotent_on_the_id_and_never_changes_the_stored_outcome()
    {
        var s = NewScope();
        var first = Make(s, "1", TimeSpan.FromHours(1));
        var before = Store.Count();
        Assert.True(Store.Add(first));
        Assert.False(Store.Add(first));
        // Same source and source id (so the same id), different content: refused, the first copy stays.
        Assert.False(Store.Add(first with { Title = "changed", Person = "mallory", ValueUsd = 1m, CompletedAt = s.Start + TimeSpan.FromHours(5) }));
        Assert.Equal(before + 1, Store.Count());
        Assert.Equal(first, Store.Find(first.Id));
        Assert.Equal([first], Mine(s));
    }

    [Fact]
    public virtual async Task Concurrent_adds_of_one_id_store_it_once_and_only_one_sees_it_as_new()
    {
        var s = NewScope();
        var outcome = Make(s, "race", TimeSpan.FromHours(2));
        var before = Store.Count();
        const int Writers = 6;
        using var start = new Barrier(Writers);
        var results = await Task.WhenAll(Enumerable.Range(0, Writers).Select(w => Task.Run(() =>
        {
            start.SignalAndWait();
            return Store.Add(outcome with { Title = "writer " + w }, deliveryId: $"dlv-{s.Name}-{w}");
        })));
        Assert.Equal(1, results.Count(r => r));
        Assert.Equal(before + 1, Store.Count());
        var stored = Assert.Single(Mine(s));
        Assert.Equal("writer " + Array.IndexOf(results, true), stored.Title);
        Assert.All(Enumerable.Range(0, Writers), w => Assert.True(Store.SeenDelivery($"dlv-{s.Name}-{w}")));
    }

    [Fact]
    public virtual void Find_reads_back_every_field_exactly()
    {
        var s = NewScope();
        var outcome = new Outcome
        {
            Source = s.Source, SourceId = "Zoë's \"PR\"; DROP TABLE outcomes;--", Type = OutcomeType.Incident, Title = "t\nnewline",
            Person = "Zoë Ünïcode", Team = "team 'q'", Project = "p", Repository = "o/r", Branch = "b", Key = "INC-9",
            // 100 ns precision and an offset other than UTC: read back as the same instant, in UTC.
            StartedAt = new DateTimeOffset(s.Start.UtcDateTime.AddTicks(1_234_567).Ticks, TimeSpan.Zero).ToOffset(TimeSpan.FromHours(-5)),
            CompletedAt = new DateTimeOffset(s.Start.UtcDateTime.AddDays(1).AddTicks(7_654_321).Ticks, TimeSpan.Zero).ToOffset(TimeSpan.FromHours(2)),
            // Money is integer nano-USD: rounded once, half away from zero.
            ValueUsd = 12.3456789015m,
        };
        Assert.True(Store.Add(outcome));
        var stored = Store.Find(outcome.Id);
        Assert.NotNull(stored);
        Assert.Equal(outcome with { StartedAt = outcome.StartedAt!.Value.ToUniversalTime(), CompletedAt = outcome.CompletedAt.ToUniversalTime(), ValueUsd = 12.345678902m }, stored);
        Assert.Equal(TimeSpan.Zero, stored.CompletedAt.Offset);
        Assert.Equal(outcome.StartedAt!.Value.UtcTicks, stored.StartedAt!.Value.UtcTicks);
        Assert.Equal(outcome.CompletedAt.UtcTicks, stored.CompletedAt.UtcTicks);
        Assert.Null(Store.Find(s.Source + ":missing"));
        Assert.Null(Store.Find(outcome.Id.ToUpperInvariant()));
    }

    [Fact]
    public virtual void Missing_optional_values_read_back_as_missing()
    {
        var s = NewScope();
        var outcome = new Outcome { Source = s.Source, SourceId = "bare", Type = OutcomeType.Custom, CompletedAt = s.Start };
        Assert.True(Store.Add(outcome));
        Assert.Equal(outcome, Store.Find(outcome.Id));
        var stored = Store.Find(outcome.Id)!;
        Assert.Null(stored.StartedAt);
        Assert.Null(stored.ValueUsd);
        Assert.Null(stored.Person);
        Assert.Equal(OutcomeType.Custom, stored.Type);
    }

    [Fact]
    public virtual void A_delivery_id_is_seen_once_recorded_with_or_without_an_outcome()
    {
        var s = NewScope();
        string Delivery(int n) => $"dlv-{s.Name}-{n}";
        Assert.False(Store.SeenDelivery(Delivery(1)));
        var outcome = Make(s, "1", TimeSpan.FromHours(1));
        Assert.True(Store.Add(outcome, Delivery(1)));
        Assert.True(Store.SeenDelivery(Delivery(1)));
        // The same delivery replayed: nothing new, no error.
        Assert.False(Store.Add(outcome, Delivery(1)));
        // A new delivery of an outcome already stored is recorded too, so its own replay is recognised.
        Assert.False(Store.SeenDelivery(Delivery(2)));
        Assert.False(Store.Add(outcome, Delivery(2)));
        Assert.True(Store.SeenDelivery(Delivery(2)));
        // An ignored event: the delivery alone, recorded twice without error.
        Store.RecordDelivery(Delivery(3));
        Store.RecordDelivery(Delivery(3));
        Assert.True(Store.SeenDelivery(Delivery(3)));
        // Delivery ids are exact: another case or a prefix is another delivery.
        Assert.False(Store.SeenDelivery(Delivery(3).ToUpperInvariant()));
        Assert.False(Store.SeenDelivery(Delivery(3)[..^1]));
        Assert.False(Store.SeenDelivery(Delivery(4)));
        // Deliveries are not outcomes.
        Assert.Equal([outcome], Mine(s));
    }

    [Fact]
    public virtual void List_takes_since_inclusive_and_until_exclusive_oldest_first_then_by_id()
    {
        var s = NewScope();
        var tick = TimeSpan.FromTicks(1);
        var hour = TimeSpan.FromHours(1);
        // Added out of order; three complete at the same instant (then ordered by id, byte order: "B" < "_" < "a").
        var late = Make(s, "late", 2 * hour);
        var tieA = Make(s, "a", hour);
        var tieUpper = Make(s, "B", hour);
        var tieUnderscore = Make(s, "_", hour);
        var justAfter = Make(s, "tick", hour + tick);
        var first = Make(s, "first", TimeSpan.Zero);
        foreach (var o in new[] { late, tieA, tieUpper, justAfter, tieUnderscore, first }) Assert.True(Store.Add(o));

        Assert.Equal([first, tieUpper, tieUnderscore, tieA, justAfter, late], Mine(s));
        Assert.Equal([tieUpper, tieUnderscore, tieA, justAfter], Store.List(s.Start + hour, s.Start + 2 * hour));
        Assert.Equal([justAfter], Store.List(s.Start + hour + tick, s.Start + 2 * hour));
        Assert.Equal([tieUpper, tieUnderscore, tieA], Store.List(s.Start + hour, s.Start + hour + tick));
        Assert.Empty(Store.List(s.Start + hour, s.Start + hour));
        // Open ends.
        Assert.Equal([first, tieUpper, tieUnderscore, tieA, justAfter], Store.List(until: s.Start + 2 * hour).Where(o => o.Source == s.Source));
        Assert.Equal([justAfter, late], Store.List(since: s.Start + hour + tick).Where(o => o.Source == s.Source));
        Assert.Equal(6, Store.List().Count(o => o.Source == s.Source));
        // An offset other than UTC is the same instant.
        var plusTwo = (s.Start + hour).ToOffset(TimeSpan.FromHours(2));
        Assert.Equal([tieUpper, tieUnderscore, tieA, justAfter], Store.List(plusTwo, s.Start + 2 * hour));
    }

    [Fact]
    public virtual void List_filters_by_person_ignoring_ascii_case_only()
    {
        var s = NewScope();
        var mine = Make(s, "1", TimeSpan.FromHours(1));
        var other = Make(s, "2", TimeSpan.FromHours(2), person: "grace-" + s.Name);
        var accented = Make(s, "3", TimeSpan.FromHours(3), person: "éve-" + s.Name);
        var nobody = Make(s, "4", TimeSpan.FromHours(4)) with { Person = null };
        foreach (var o in new[] { mine, other, accented, nobody }) Assert.True(Store.Add(o));

        Assert.Equal([mine], Store.List(person: s.Person));
        Assert.Equal([mine], Store.List(s.Start, s.End, s.Person.ToUpperInvariant()));
        Assert.Equal([other], Store.List(s.Start, s.End, "GRACE-" + s.Name.ToUpperInvariant()));
        Assert.Equal([accented], Store.List(s.Start, s.End, "éve-" + s.Name));
        // Case is folded for ASCII letters only (SQLite's NOCASE): É is not é.
        Assert.Empty(Store.List(s.Start, s.End, "Éve-" + s.Name));
        Assert.Equal([accented], Store.List(s.Start, s.End, "éVE-" + s.Name));
        // Exact match, not a prefix or pattern.
        Assert.Empty(Store.List(s.Start, s.End, "ada-%"));
        Assert.Empty(Store.List(s.Start, s.End, s.Person[..^1]));
        // The person filter combines with the window.
        Assert.Empty(Store.List(s.Start + TimeSpan.FromHours(2), s.End, s.Person));
    }

    [Fact]
    public virtual void Count_counts_every_stored_outcome_once()
    {
        var s = NewScope();
        var before = Store.Count();
        var outcomes = Enumerable.Range(1, 12).Select(n => Make(s, n.ToString(System.Globalization.CultureInfo.InvariantCulture), TimeSpan.FromMinutes(n))).ToList();
        Assert.All(outcomes, o => Assert.True(Store.Add(o)));
        Assert.All(outcomes, o => Assert.False(Store.Add(o)));
        Store.RecordDelivery("dlv-" + s.Name);
        Assert.Equal(before + 12, Store.Count());
    }
}
