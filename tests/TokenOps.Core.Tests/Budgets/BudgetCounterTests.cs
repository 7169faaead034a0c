using Microsoft.Extensions.Time.Testing;
using TokenOps.Core.Budgets;
using TokenOps.Core.Pricing;
using Xunit;

namespace TokenOps.Core.Tests.Budgets;

/// <summary>Period boundaries with a fake clock, for every budget level: spend resets exactly once; rollover respects its ceiling.</summary>
public sealed class BudgetCounterTests
{
    private static readonly TimeSpan Ttl = TimeSpan.FromMinutes(15);

    private static BudgetPolicy Policy(BudgetLevel level, BudgetPeriod period, decimal limit = 10m, Rollover? rollover = null, BudgetMode mode = BudgetMode.Hard)
    {
        var name = level == BudgetLevel.Organisation ? BudgetPolicy.OrganisationName : "x";
        return new BudgetPolicy(BudgetPolicy.IdFor(level, name), level, name, limit, period, mode, SoftAction.Warn, rollover ?? Rollover.Off);
    }

    private static void Spend(BudgetBook book, BudgetCounter counter, decimal usd, DateTimeOffset now)
    {
        var nanos = NanoUsd.FromUsd(usd);
        var r = book.TryReserve([counter], nanos, now, Ttl);
        Assert.NotNull(r.Reservation);
        book.Settle(r.Reservation, nanos);
    }

    public static TheoryData<BudgetLevel, string> LevelsAndPeriods()
    {
        var data = new TheoryData<BudgetLevel, string>();
        foreach (var level in Enum.GetValues<BudgetLevel>())
            foreach (var period in new[] { "daily", "weekly", "monthly" })
                data.Add(level, period);
        return data;
    }

    [Theory]
    [MemberData(nameof(LevelsAndPeriods))]
    public void SpendResetsExactlyOnce_AtTheBoundary(BudgetLevel level, string periodText)
    {
        var zone = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin");
        var period = BudgetPeriod.TryParse(periodText, zone)!;
        var clock = new FakeTimeProvider(DateTimeOffset.Parse("2026-11-23T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var book = new BudgetBook(new FakeSpendHistory());
        var counter = book.CounterFor(Policy(level, period), clock.GetUtcNow());
        var end = period.WindowAt(clock.GetUtcNow()).End;

        Spend(book, counter, 4m, clock.GetUtcNow());
        clock.SetUtcNow(end.AddTicks(-1));
        Assert.Equal(4m, book.Snapshot(counter, clock.GetUtcNow()).Spent);
        Assert.Equal(1, counter.PeriodsOpened);

        clock.SetUtcNow(end);
        var after = book.Snapshot(counter, clock.GetUtcNow());
        Assert.Equal((0m, end, 2), (after.Spent, after.PeriodStart, counter.PeriodsOpened));
        Spend(book, counter, 1m, clock.GetUtcNow());
        clock.Advance(TimeSpan.FromHours(1));
        Assert.Equal(1m, book.Snapshot(counter, clock.GetUtcNow()).Spent);
        Assert.Equal(2, counter.PeriodsOpened);
    }

    [Fact]
    public void Rollover_CarriesUnspent_UpToTheCeiling_AndNeverFurther()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.Parse("2026-11-10T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var book = new BudgetBook(new FakeSpendHistory());
        var policy = Policy(BudgetLevel.Team, BudgetPeriod.Monthly(), 10m, new Rollover(true, 3m));
        var counter = book.CounterFor(policy, clock.GetUtcNow());
        Spend(book, counter, 2m, clock.GetUtcNow());

        clock.SetUtcNow(DateTimeOffset.Parse("2026-12-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(13m, book.Snapshot(counter, clock.GetUtcNow()).Limit); // 8 unspent, ceiling 3
        Spend(book, counter, 9.5m, clock.GetUtcNow());

        clock.SetUtcNow(DateTimeOffset.Parse("2027-01-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(10.5m, book.Snapshot(counter, clock.GetUtcNow()).Limit); // 0.5 of the base 10 left
        clock.SetUtcNow(DateTimeOffset.Parse("2027-03-05T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(13m, book.Snapshot(counter, clock.GetUtcNow()).Limit); // an idle February spent nothing: full ceiling
    }

    [Fact]
    public void Rollover_AtOpen_ReadsThePreviousPeriodFromTheLedger()
    {
        var history = new FakeSpendHistory();
        var policy = Policy(BudgetLevel.Person, BudgetPeriod.Daily(), 10m, new Rollover(true, 5m));
        history.Rows.Add((policy.Id, DateTimeOffset.Parse("2026-11-22T12:00:00Z", System.Globalization.CultureInfo.InvariantCulture), NanoUsd.FromUsd(9m)));
        history.Rows.Add((policy.Id, DateTimeOffset.Parse("2026-11-23T01:00:00Z", System.Globalization.CultureInfo.InvariantCulture), NanoUsd.FromUsd(2m)));
        var book = new BudgetBook(history);
        var s = book.Snapshot(book.CounterFor(policy, DateTimeOffset.Parse("2026-11-23T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture)),
            DateTimeOffset.Parse("2026-11-23T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal((2m, 11m), (s.Spent, s.Limit));
    }

    [Fact]
    public void Rolling_DaysDropOutOneByOne_NothingResetsAtOnce()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.Parse("2026-11-01T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var book = new BudgetBook(new FakeSpendHistory());
        var counter = book.CounterFor(Policy(BudgetLevel.Person, BudgetPeriod.Rolling(3)), clock.GetUtcNow());
        Spend(book, counter, 5m, clock.GetUtcNow());
        clock.Advance(TimeSpan.FromDays(1));
        Spend(book, counter, 3m, clock.GetUtcNow());
        clock.Advance(TimeSpan.FromDays(1));
        Assert.Equal(8m, book.Snapshot(counter, clock.GetUtcNow()).Spent);
        clock.Advance(TimeSpan.FromDays(1)); // day 1 leaves the 3-day window
        Assert.Equal(3m, book.Snapshot(counter, clock.GetUtcNow()).Spent);
        clock.Advance(TimeSpan.FromDays(1));
        Assert.Equal(0m, book.Snapshot(counter, clock.GetUtcNow()).Spent);
    }

    [Fact]
    public void ARequestAdmittedBeforeTheBoundary_SettlingAfterIt_DoesNotCountInTheNewPeriod()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.Parse("2026-11-23T23:59:59Z", System.Globalization.CultureInfo.InvariantCulture));
        var book = new BudgetBook(new FakeSpendHistory());
        var counter = book.CounterFor(Policy(BudgetLevel.Person, BudgetPeriod.Daily()), clock.GetUtcNow());
        var r = book.TryReserve([counter], NanoUsd.FromUsd(3m), clock.GetUtcNow(), Ttl).Reservation!;
        clock.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(3m, book.Snapshot(counter, clock.GetUtcNow()).Reserved); // still held while in flight
        book.Settle(r, NanoUsd.FromUsd(2m));
        var s = book.Snapshot(counter, clock.GetUtcNow());
        Assert.Equal((0m, 0m), (s.Spent, s.Reserved));
    }

    [Fact]
    public void HardRefuses_SoftDoesNot_AndARefusalReservesNothing()
    {
        var now = DateTimeOffset.Parse("2026-11-23T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture);
        var book = new BudgetBook(new FakeSpendHistory());
        var hard = book.CounterFor(Policy(BudgetLevel.Person, BudgetPeriod.Daily(), 1m), now);
        var soft = book.CounterFor(Policy(BudgetLevel.Team, BudgetPeriod.Daily(), 0.5m, mode: BudgetMode.Soft), now);
        var counters = new[] { hard, soft }.OrderBy(c => c.Id, StringComparer.Ordinal).ToArray();

        var ok = book.TryReserve(counters, NanoUsd.FromUsd(0.9m), now, Ttl);
        Assert.NotNull(ok.Reservation);
        Assert.Single(book.SoftOverruns(counters, 1, now));
        var refused = book.TryReserve(counters, NanoUsd.FromUsd(0.2m), now, Ttl);
        Assert.Null(refused.Reservation);
        Assert.Equal("person:x", refused.RefusedBy!.BudgetId);
        Assert.Equal(NanoUsd.FromUsd(0.1m), refused.AvailableNanos);
        Assert.Equal(0.9m, book.Snapshot(soft, now).Reserved);
    }

    [Fact]
    public void Sweeper_ExpiresUnsettledReservations_ALateSettleOnlyBooksTheCost()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.Parse("2026-11-23T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var book = new BudgetBook(new FakeSpendHistory());
        var counter = book.CounterFor(Policy(BudgetLevel.Person, BudgetPeriod.Daily()), clock.GetUtcNow());
        var r = book.TryReserve([counter], NanoUsd.FromUsd(2m), clock.GetUtcNow(), Ttl).Reservation!;
        Assert.Equal(0, book.SweepExpired(clock.GetUtcNow()));
        clock.Advance(Ttl + TimeSpan.FromSeconds(1));
        Assert.Equal(1, book.SweepExpired(clock.GetUtcNow()));
        Assert.Equal((0m, 0m), (book.Snapshot(counter, clock.GetUtcNow()).Reserved, book.Snapshot(counter, clock.GetUtcNow()).Spent));
        book.Settle(r, NanoUsd.FromUsd(1m));
        book.Settle(r, NanoUsd.FromUsd(1m)); // idempotent
        Assert.Equal((0m, 1m), (book.Snapshot(counter, clock.GetUtcNow()).Reserved, book.Snapshot(counter, clock.GetUtcNow()).Spent));
        Assert.Equal(0, book.OpenReservations);
    }

    private sealed class Lease : IRequestLease
    {
        public bool IsActive { get; set; } = true;
    }

    [Fact]
    public void Sweeper_NeverExpiresAHoldWhileItsRequestIsActive_OnlyOnceItIsGone()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.Parse("2026-11-23T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var book = new BudgetBook(new FakeSpendHistory());
        var counter = book.CounterFor(Policy(BudgetLevel.Person, BudgetPeriod.Daily()), clock.GetUtcNow());
        var lease = new Lease();
        var r = book.TryReserve([counter], NanoUsd.FromUsd(2m), clock.GetUtcNow(), Ttl, lease).Reservation!;
        clock.Advance(Ttl * 4);
        Assert.Equal(0, book.SweepExpired(clock.GetUtcNow()));
        Assert.Equal(2m, book.Snapshot(counter, clock.GetUtcNow()).Reserved);
        lease.IsActive = false;
        Assert.Equal(1, book.SweepExpired(clock.GetUtcNow()));
        Assert.Equal(0m, book.Snapshot(counter, clock.GetUtcNow()).Reserved);
        book.Settle(r, NanoUsd.FromUsd(1.5m));
        Assert.Equal(1.5m, book.Snapshot(counter, clock.GetUtcNow()).Spent);
    }

    [Fact]
    public void APeriodChange_MovesHoldsInFlightToTheNewCounter_AndTheirCostIsBookedThere()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.Parse("2026-11-23T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var book = new BudgetBook(new FakeSpendHistory());
        book.UseClock(clock.GetUtcNow);
        var daily = Policy(BudgetLevel.Person, BudgetPeriod.Daily());
        book.Apply(new BudgetPolicySet([daily], version: 1));
        var r = book.TryReserve([book.CounterFor(daily, clock.GetUtcNow())], NanoUsd.FromUsd(2m), clock.GetUtcNow(), Ttl).Reservation!;
        var monthly = daily with { Period = BudgetPeriod.Monthly() };
        book.Apply(new BudgetPolicySet([monthly], version: 2));
        var fresh = book.CounterFor(monthly, clock.GetUtcNow());
        Assert.Equal(2m, book.Snapshot(fresh, clock.GetUtcNow()).Reserved);
        book.Settle(r, NanoUsd.FromUsd(1.5m));
        var s = book.Snapshot(fresh, clock.GetUtcNow());
        Assert.Equal((0m, 1.5m), (s.Reserved, s.Spent));
    }
}
