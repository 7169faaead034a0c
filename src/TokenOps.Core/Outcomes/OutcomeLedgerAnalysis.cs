using TokenOps.Core.Pricing;

namespace TokenOps.Core.Outcomes;

/// <summary>A half-open time range [Since, Until).</summary>
public sealed record ReportPeriod(DateTimeOffset Since, DateTimeOffset Until)
{
    public bool Contains(DateTimeOffset t) => t >= Since && t < Until;
    public decimal Days => (decimal)(Until - Since).TotalDays;
}

/// <summary>
/// Streams ledger rows through the linker once and keeps only sums: the spend linked to each outcome (whenever it happened),
/// and, for each period asked about, the ledger total split into linked and unlinked (by rule, by person, team and project,
/// and by week). All sums are integer nano-USD, so linked + unlinked equals the ledger total exactly.
/// </summary>
public sealed class OutcomeLedgerAnalysis
{
    private readonly OutcomeLinker _linker;
    private readonly Dictionary<string, long> _outcomeNanos = new(StringComparer.OrdinalIgnoreCase);
    private readonly PeriodSpend[] _periods;

    public OutcomeLedgerAnalysis(OutcomeLinker linker, IReadOnlyList<ReportPeriod> periods)
    {
        _linker = linker;
        _periods = periods.Select(p => new PeriodSpend(p)).ToArray();
    }

    public OutcomeLinker Linker => _linker;

    /// <summary>Where to start reading the ledger so that outcomes completed in the periods get the spend of their windows.</summary>
    public DateTimeOffset ReadFrom
    {
        get
        {
            var from = _periods.Min(p => p.Period.Since);
            foreach (var o in _linker.Outcomes)
                if (_periods.Any(p => p.Period.Contains(o.CompletedAt)))
                {
                    var start = _linker.WindowStart(o);
                    if (start < from) from = start;
                }
            return from;
        }
    }

    /// <summary>Where to stop reading: the end of the latest period.</summary>
    public DateTimeOffset ReadUntil => _periods.Max(p => p.Period.Until);

    public void Add(in SpendRow row)
    {
        var link = _linker.Link(row);
        if (link.Outcome is { } o) _outcomeNanos[o.Id] = _outcomeNanos.GetValueOrDefault(o.Id) + row.CostNanos;
        foreach (var p in _periods)
            if (p.Period.Contains(row.StartedAt)) p.Add(row, link);
    }

    public long LinkedNanos(Outcome o) => _outcomeNanos.GetValueOrDefault(o.Id);

    public decimal LinkedUsd(Outcome o) => NanoUsd.ToUsd(LinkedNanos(o));

    public PeriodSpend Spend(ReportPeriod period) =>
        _periods.FirstOrDefault(p => p.Period == period) ?? throw new ArgumentException("Period was not registered.", nameof(period));
}

/// <summary>One period's ledger spend, split into linked and unlinked.</summary>
public sealed class PeriodSpend(ReportPeriod period)
{
    public ReportPeriod Period { get; } = period;
    public long Rows { get; private set; }
    public long TotalNanos { get; private set; }
    public long LinkedNanos { get; private set; }
    public long UnlinkedNanos { get; private set; }
    public Dictionary<LinkRule, long> ByRuleNanos { get; } = [];
    public Dictionary<string, GroupSpend> ByPerson { get; } = new(StringComparer.OrdinalIgnoreCase);
    public Dictionary<string, GroupSpend> ByTeam { get; } = new(StringComparer.OrdinalIgnoreCase);
    public Dictionary<string, GroupSpend> ByProject { get; } = new(StringComparer.OrdinalIgnoreCase);
    /// <summary>Total spend by week (Monday 00:00 UTC).</summary>
    public SortedDictionary<DateTimeOffset, long> ByWeekNanos { get; } = [];

    public const string None = "(none)";

    internal void Add(in SpendRow row, LinkResult link)
    {
        Rows++;
        TotalNanos += row.CostNanos;
        var linked = link.Outcome is not null;
        if (linked) LinkedNanos += row.CostNanos; else UnlinkedNanos += row.CostNanos;
        ByRuleNanos[link.Rule] = ByRuleNanos.GetValueOrDefault(link.Rule) + row.CostNanos;
        Group(ByPerson, row.Person).Add(row.CostNanos, linked);
        Group(ByTeam, row.Team).Add(row.CostNanos, linked);
        Group(ByProject, row.Project).Add(row.CostNanos, linked);
        var week = Weeks.Start(row.StartedAt);
        ByWeekNanos[week] = ByWeekNanos.GetValueOrDefault(week) + row.CostNanos;
    }

    public Dictionary<string, GroupSpend> By(string dimension) => dimension switch
    {
        "person" => ByPerson,
        "team" => ByTeam,
        "project" => ByProject,
        _ => throw new ArgumentException($"Unknown dimension '{dimension}'.", nameof(dimension)),
    };

    private static GroupSpend Group(Dictionary<string, GroupSpend> groups, string? key)
    {
        key ??= None;
        if (!groups.TryGetValue(key, out var g)) groups[key] = g = new GroupSpend();
        return g;
    }
}

public sealed class GroupSpend
{
    public long TotalNanos { get; private set; }
    public long LinkedNanos { get; private set; }
    public long UnlinkedNanos => TotalNanos - LinkedNanos;

    internal void Add(long nanos, bool linked)
    {
        TotalNanos += nanos;
        if (linked) LinkedNanos += nanos;
    }
}

public static class Weeks
{
    /// <summary>The Monday 00:00 UTC that starts the ISO week holding <paramref name="t"/>.</summary>
    public static DateTimeOffset Start(DateTimeOffset t)
    {
        var day = t.UtcDateTime.Date;
        var back = ((int)day.DayOfWeek + 6) % 7;
        return new DateTimeOffset(day.AddDays(-back), TimeSpan.Zero);
    }
}
