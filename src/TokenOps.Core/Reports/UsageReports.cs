using System.Globalization;

namespace TokenOps.Core.Reports;

/// <summary>Token and cost totals of one model (or of everything) within a report row.</summary>
public sealed class UsageTotals
{
    public long Input { get; private set; }
    public long Output { get; private set; }
    public long CacheCreation { get; private set; }
    public long CacheRead { get; private set; }
    public decimal Cost { get; private set; }
    public int Requests { get; private set; }
    public long TotalTokens => Input + Output + CacheCreation + CacheRead;

    public void Add(in PricedUsage u)
    {
        Input += u.Input; Output += u.Output; CacheCreation += u.CacheCreation; CacheRead += u.CacheRead;
        Cost += u.Cost; Requests++;
    }
}

/// <summary>One row of a daily/weekly/monthly/session report.</summary>
public sealed class UsageRow(string key)
{
    /// <summary>Date (yyyy-MM-dd), week start (yyyy-MM-dd), month (yyyy-MM) or session id.</summary>
    public string Key { get; } = key;
    public string? Project { get; set; }
    public long FirstMs { get; private set; } = long.MaxValue;
    public long LastMs { get; private set; } = long.MinValue;
    public UsageTotals Totals { get; } = new();
    /// <summary>Per-model totals, by model name (ordinal).</summary>
    public SortedDictionary<string, UsageTotals> Models { get; } = new(StringComparer.Ordinal);

    public void Add(in PricedUsage u)
    {
        Totals.Add(u);
        if (!Models.TryGetValue(u.Model, out var m)) Models[u.Model] = m = new UsageTotals();
        m.Add(u);
        FirstMs = Math.Min(FirstMs, u.TimestampMs);
        LastMs = Math.Max(LastMs, u.TimestampMs);
    }
}

/// <summary>How a usage report groups rows: by calendar day, week or month in the report's time zone, or by agent session.</summary>
public enum UsageGrouping { Daily, Weekly, Monthly, Session }

/// <summary>Filters and bucketing shared by every report. Dates are local dates in <see cref="TimeZone"/>, inclusive.</summary>
public sealed record ReportOptions
{
    public TimeZoneInfo TimeZone { get; init; } = TimeZoneInfo.Utc;
    public DateOnly? Since { get; init; }
    public DateOnly? Until { get; init; }
    public DayOfWeek StartOfWeek { get; init; } = DayOfWeek.Sunday;
}

/// <summary>Aggregates priced usage into report rows (ccusage's daily/weekly/monthly/session semantics).</summary>
public static class UsageReports
{
    public static DateTime Local(long ms, TimeZoneInfo tz) =>
        TimeZoneInfo.ConvertTimeFromUtc(DateTime.UnixEpoch.AddMilliseconds(ms), tz);

    public static bool InRange(long ms, ReportOptions o)
    {
        if (o.Since is null && o.Until is null) return true;
        var d = DateOnly.FromDateTime(Local(ms, o.TimeZone));
        return (o.Since is not { } s || d >= s) && (o.Until is not { } u || d <= u);
    }

    /// <summary>Rows ordered by key (sessions: by last activity), each with per-model totals; plus the grand total.</summary>
    public static (IReadOnlyList<UsageRow> Rows, UsageTotals Totals) Build(IEnumerable<PricedUsage> usage, UsageGrouping period, ReportOptions options)
    {
        var rows = new Dictionary<string, UsageRow>(StringComparer.Ordinal);
        var totals = new UsageTotals();
        foreach (var u in usage)
        {
            if (!InRange(u.TimestampMs, options)) continue;
            var key = period == UsageGrouping.Session ? $"{u.Project}\u0000{u.Session}" : Key(u.TimestampMs, period, options);
            if (!rows.TryGetValue(key, out var row))
            {
                rows[key] = row = new UsageRow(period == UsageGrouping.Session ? u.Session ?? "unknown" : key) { Project = u.Project };
            }
            row.Add(u);
            totals.Add(u);
        }
        var ordered = period == UsageGrouping.Session
            ? rows.Values.OrderBy(r => r.LastMs).ThenBy(r => r.Key, StringComparer.Ordinal).ToList()
            : rows.Values.OrderBy(r => r.Key, StringComparer.Ordinal).ToList();
        return (ordered, totals);
    }

    public static string Key(long ms, UsageGrouping period, ReportOptions o)
    {
        var local = Local(ms, o.TimeZone);
        return period switch
        {
            UsageGrouping.Monthly => local.ToString("yyyy-MM", CultureInfo.InvariantCulture),
            UsageGrouping.Weekly => local.Date.AddDays(-(((int)local.DayOfWeek - (int)o.StartOfWeek + 7) % 7)).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            _ => local.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        };
    }
}
