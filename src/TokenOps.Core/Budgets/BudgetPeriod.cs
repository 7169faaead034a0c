using System.Globalization;

namespace TokenOps.Core.Budgets;

public enum PeriodKind
{
    Daily,
    Weekly,
    Monthly,
    /// <summary>The last N days, at day granularity in the time zone: a day's spend drops out N days later.</summary>
    Rolling,
}

/// <summary>The window a budget's spend is counted in.</summary>
public readonly record struct PeriodWindow(DateTimeOffset Start, DateTimeOffset End)
{
    public bool Contains(DateTimeOffset instant) => instant >= Start && instant < End;
}

/// <summary>
/// A budget period: calendar day, ISO week (Monday) or month in a time zone, or rolling N days.
/// Pure: the instant is always passed in, so tests drive it with a fake clock.
/// </summary>
public sealed record BudgetPeriod(PeriodKind Kind, int Days, TimeZoneInfo TimeZone)
{
    public static BudgetPeriod Monthly(TimeZoneInfo? zone = null) => new(PeriodKind.Monthly, 0, zone ?? TimeZoneInfo.Utc);
    public static BudgetPeriod Weekly(TimeZoneInfo? zone = null) => new(PeriodKind.Weekly, 0, zone ?? TimeZoneInfo.Utc);
    public static BudgetPeriod Daily(TimeZoneInfo? zone = null) => new(PeriodKind.Daily, 0, zone ?? TimeZoneInfo.Utc);
    public static BudgetPeriod Rolling(int days, TimeZoneInfo? zone = null) => new(PeriodKind.Rolling, days, zone ?? TimeZoneInfo.Utc);

    /// <summary>Parses "daily", "weekly", "monthly" or "rolling:N" (1 ≤ N ≤ 366); null when the text is none of them.</summary>
    public static BudgetPeriod? TryParse(string? text, TimeZoneInfo zone)
    {
        var t = text?.Trim().ToLowerInvariant();
        switch (t)
        {
            case "daily": return Daily(zone);
            case "weekly": return Weekly(zone);
            case "monthly": return Monthly(zone);
        }
        if (t is not null && t.StartsWith("rolling:", StringComparison.Ordinal)
            && int.TryParse(t.AsSpan(8), NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n is >= 1 and <= 366)
            return Rolling(n, zone);
        return null;
    }

    public override string ToString() => Kind == PeriodKind.Rolling ? $"rolling:{Days}" : Kind.ToString().ToLowerInvariant();

    /// <summary>True when calendar-based (spend resets at the boundary); rolling periods never reset, days drop out.</summary>
    public bool Resets => Kind != PeriodKind.Rolling;

    /// <summary>The window holding <paramref name="instant"/>. For rolling periods: the N local days ending with today.</summary>
    public PeriodWindow WindowAt(DateTimeOffset instant)
    {
        var local = TimeZoneInfo.ConvertTime(instant, TimeZone).DateTime.Date;
        DateTime start, end;
        switch (Kind)
        {
            case PeriodKind.Daily:
                start = local; end = local.AddDays(1); break;
            case PeriodKind.Weekly:
                var sinceMonday = ((int)local.DayOfWeek + 6) % 7;
                start = local.AddDays(-sinceMonday); end = start.AddDays(7); break;
            case PeriodKind.Monthly:
                start = new DateTime(local.Year, local.Month, 1); end = start.AddMonths(1); break;
            default:
                start = local.AddDays(-(Days - 1)); end = local.AddDays(1); break;
        }
        return new PeriodWindow(LocalStart(start), LocalStart(end));
    }

    /// <summary>The calendar window just before <paramref name="window"/> (for rollover).</summary>
    public PeriodWindow Previous(PeriodWindow window) => WindowAt(window.Start.AddTicks(-1));

    /// <summary>The local day holding <paramref name="instant"/> (rolling budgets count spend per day).</summary>
    public DateTimeOffset DayStart(DateTimeOffset instant) => LocalStart(TimeZoneInfo.ConvertTime(instant, TimeZone).DateTime.Date);

    /// <summary>
    /// The instant a local midnight happens. Where DST skips midnight the day starts at the first valid local time;
    /// where midnight happens twice, the earlier one.
    /// </summary>
    private DateTimeOffset LocalStart(DateTime localMidnight)
    {
        var local = DateTime.SpecifyKind(localMidnight, DateTimeKind.Unspecified);
        var guard = 0;
        while (TimeZone.IsInvalidTime(local) && guard++ < 8) local = local.AddMinutes(30);
        var offset = TimeZone.IsAmbiguousTime(local) ? TimeZone.GetAmbiguousTimeOffsets(local).Max() : TimeZone.GetUtcOffset(local);
        return new DateTimeOffset(local, offset).ToUniversalTime();
    }
}
