using System.Globalization;

namespace TokenOps.Core.Reporting;

/// <summary>
/// A reporting period [From, To) in UTC, shared by the dashboard and `tokenops report`.
/// Specs: today, yesterday, Nd (last N days including today), Nh (last N hours), week, month (this calendar month),
/// last-month, YYYY-MM, YYYY-MM-DD, and FROM..TO with dates (TO inclusive).
/// </summary>
public sealed record ReportPeriod(DateTimeOffset From, DateTimeOffset To, string Label)
{
    public const string Help = "today, yesterday, 7d (last N days), 24h (last N hours), week, month, last-month, 2026-11, 2026-11-05, or 2026-11-01..2026-11-15";

    /// <summary>The dates a period may cover: wide enough for any ledger, narrow enough that date arithmetic never overflows.</summary>
    public static readonly DateTimeOffset Earliest = new(1970, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public static readonly DateTimeOffset Latest = new(9000, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>False for an unknown spec or a period outside [<see cref="Earliest"/>, <see cref="Latest"/>] (9999-12, 0001-01).</summary>
    public static bool TryParse(string? spec, DateTimeOffset now, out ReportPeriod period)
    {
        try
        {
            return TryParseUnchecked(spec, now, out period) && period.From >= Earliest && period.To <= Latest && period.From < period.To
                || Fail(out period);
        }
        catch (ArgumentOutOfRangeException)
        {
            return Fail(out period);
        }
    }

    private static bool Fail(out ReportPeriod period)
    {
        period = null!;
        return false;
    }

    private static bool TryParseUnchecked(string? spec, DateTimeOffset now, out ReportPeriod period)
    {
        period = null!;
        var s = (spec ?? "").Trim().ToLowerInvariant();
        var today = new DateTimeOffset(now.UtcDateTime.Date, TimeSpan.Zero);
        var tomorrow = today.AddDays(1);
        var ci = CultureInfo.InvariantCulture;
        switch (s)
        {
            case "today": period = new(today, tomorrow, "today"); return true;
            case "yesterday": period = new(today.AddDays(-1), today, "yesterday"); return true;
            case "week":
                var monday = today.AddDays(-(((int)today.DayOfWeek + 6) % 7));
                period = new(monday, monday.AddDays(7), "this week"); return true;
            case "month" or "this-month" or "":
                var first = new DateTimeOffset(today.Year, today.Month, 1, 0, 0, 0, TimeSpan.Zero);
                period = new(first, first.AddMonths(1), first.ToString("yyyy-MM", ci)); return true;
            case "last-month":
                var last = new DateTimeOffset(today.Year, today.Month, 1, 0, 0, 0, TimeSpan.Zero).AddMonths(-1);
                period = new(last, last.AddMonths(1), last.ToString("yyyy-MM", ci)); return true;
        }
        if (s.Length > 1 && int.TryParse(s[..^1], NumberStyles.None, ci, out var n) && n is > 0 and <= 3660)
        {
            if (s[^1] == 'd') { period = new(tomorrow.AddDays(-n), tomorrow, $"last {n} days"); return true; }
            if (s[^1] == 'h' && n <= 24 * 400)
            {
                var nextHour = new DateTimeOffset(now.UtcDateTime.Date.AddHours(now.UtcDateTime.Hour + 1), TimeSpan.Zero);
                period = new(nextHour.AddHours(-n), nextHour, $"last {n} hours"); return true;
            }
        }
        if (DateTimeOffset.TryParseExact(s, "yyyy-MM", ci, DateTimeStyles.AssumeUniversal, out var month))
        {
            period = new(month, month.AddMonths(1), s); return true;
        }
        if (DateTimeOffset.TryParseExact(s, "yyyy-MM-dd", ci, DateTimeStyles.AssumeUniversal, out var day))
        {
            period = new(day, day.AddDays(1), s); return true;
        }
        var dots = s.IndexOf("..", StringComparison.Ordinal);
        if (dots > 0
            && DateTimeOffset.TryParseExact(s[..dots], "yyyy-MM-dd", ci, DateTimeStyles.AssumeUniversal, out var a)
            && DateTimeOffset.TryParseExact(s[(dots + 2)..], "yyyy-MM-dd", ci, DateTimeStyles.AssumeUniversal, out var b)
            && b >= a && (b - a).TotalDays <= 3660)
        {
            period = new(a, b.AddDays(1), s); return true;
        }
        return false;
    }

    /// <summary>
    /// Straight-line projection of <paramref name="spentNanos"/> (spent from <paramref name="start"/> to now) to <paramref name="end"/>.
    /// Integer arithmetic on nano-USD; null before any time has passed.
    /// </summary>
    public static long? Forecast(long spentNanos, DateTimeOffset start, DateTimeOffset end, DateTimeOffset now)
    {
        if (now <= start) return null;
        if (now >= end) return spentNanos;
        var elapsed = (decimal)(now - start).Ticks;
        var total = (decimal)(end - start).Ticks;
        return (long)decimal.Round(spentNanos * total / elapsed, 0, MidpointRounding.AwayFromZero);
    }
}
