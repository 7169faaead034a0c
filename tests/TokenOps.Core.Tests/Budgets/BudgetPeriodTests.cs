using TokenOps.Core.Budgets;
using Xunit;

namespace TokenOps.Core.Tests.Budgets;

public sealed class BudgetPeriodTests
{
    private static readonly TimeZoneInfo Berlin = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin");
    private static readonly TimeZoneInfo NewYork = TimeZoneInfo.FindSystemTimeZoneById("America/New_York");

    private static DateTimeOffset Utc(string s) => DateTimeOffset.Parse(s, System.Globalization.CultureInfo.InvariantCulture).ToUniversalTime();

    [Fact]
    public void Daily_InBerlin_OnTheSpringForwardDay_Is23HoursFromLocalMidnight()
    {
        var w = BudgetPeriod.Daily(Berlin).WindowAt(Utc("2026-03-29T10:00:00Z"));
        Assert.Equal(Utc("2026-03-28T23:00:00Z"), w.Start);
        Assert.Equal(Utc("2026-03-29T22:00:00Z"), w.End);
    }

    [Fact]
    public void Weekly_StartsOnMonday_InTheZone()
    {
        // Sunday 2026-11-22 23:30 UTC is already Monday 00:30 in Berlin.
        Assert.Equal(Utc("2026-11-16T00:00:00Z"), BudgetPeriod.Weekly().WindowAt(Utc("2026-11-22T23:30:00Z")).Start);
        var berlin = BudgetPeriod.Weekly(Berlin).WindowAt(Utc("2026-11-22T23:30:00Z"));
        Assert.Equal((Utc("2026-11-22T23:00:00Z"), Utc("2026-11-29T23:00:00Z")), (berlin.Start, berlin.End));
    }

    [Fact]
    public void Monthly_InNewYork_UsesLocalCalendarMonth()
    {
        // 2026-11-01 03:00 UTC is still 31 October, 23:00 EDT.
        var w = BudgetPeriod.Monthly(NewYork).WindowAt(Utc("2026-11-01T03:00:00Z"));
        Assert.Equal((Utc("2026-10-01T04:00:00Z"), Utc("2026-11-01T04:00:00Z")), (w.Start, w.End));
        var next = BudgetPeriod.Monthly(NewYork).WindowAt(w.End);
        Assert.Equal((Utc("2026-11-01T04:00:00Z"), Utc("2026-12-01T05:00:00Z")), (next.Start, next.End));
        Assert.Equal(w, BudgetPeriod.Monthly(NewYork).Previous(next));
    }

    [Fact]
    public void Rolling_IsTheLastNDaysEndingTonight()
    {
        var w = BudgetPeriod.Rolling(7).WindowAt(Utc("2026-11-23T15:00:00Z"));
        Assert.Equal((Utc("2026-11-17T00:00:00Z"), Utc("2026-11-24T00:00:00Z")), (w.Start, w.End));
        Assert.False(BudgetPeriod.Rolling(7).Resets);
    }

    [Theory]
    [InlineData("daily", PeriodKind.Daily, 0)]
    [InlineData("Weekly", PeriodKind.Weekly, 0)]
    [InlineData("monthly", PeriodKind.Monthly, 0)]
    [InlineData("rolling:30", PeriodKind.Rolling, 30)]
    public void Parse_Accepts(string text, PeriodKind kind, int days)
    {
        var p = BudgetPeriod.TryParse(text, TimeZoneInfo.Utc)!;
        Assert.Equal((kind, days), (p.Kind, p.Days));
    }

    [Theory]
    [InlineData("yearly")]
    [InlineData("rolling:0")]
    [InlineData("rolling:400")]
    [InlineData("rolling:x")]
    [InlineData(null)]
    public void Parse_Rejects(string? text) => Assert.Null(BudgetPeriod.TryParse(text, TimeZoneInfo.Utc));
}
