namespace TokenOps.Core.Outcomes;

/// <summary>
/// A period's ledger spend grouped by the business outcome each row links to (the <see cref="OutcomeLinker"/> rules),
/// plus what links to nothing. Rows are added one at a time (a stream); only one sum per outcome is kept. All sums are
/// integer nano-USD, so the outcomes' spend plus the unlinked spend equals the rows' total exactly.
/// Unlike the outcomes report's cost per outcome (all spend linked to outcomes completed in a period, wherever it
/// happened), this is the period's spend by where it went: an outcome appears when some of the period's rows link to it,
/// whenever it completed.
/// </summary>
public sealed class OutcomeSpend(OutcomeLinker linker)
{
    private readonly Dictionary<string, Line> _byOutcome = new(StringComparer.OrdinalIgnoreCase);

    public OutcomeLinker Linker => linker;
    public long Requests { get; private set; }
    public long TotalNanos { get; private set; }
    public long LinkedNanos { get; private set; }
    public long UnlinkedNanos { get; private set; }
    public long UnlinkedRequests { get; private set; }

    /// <summary>Links the row, adds it to its outcome (or to unlinked) and returns the link.</summary>
    public LinkResult Add(in SpendRow row)
    {
        var link = linker.Link(row);
        Requests++;
        TotalNanos += row.CostNanos;
        if (link.Outcome is { } o)
        {
            LinkedNanos += row.CostNanos;
            if (!_byOutcome.TryGetValue(o.Id, out var line)) _byOutcome[o.Id] = line = new Line(o);
            line.Requests++;
            line.CostNanos += row.CostNanos;
        }
        else
        {
            UnlinkedNanos += row.CostNanos;
            UnlinkedRequests++;
        }
        return link;
    }

    /// <summary>True when linked + unlinked = total (integer nano-USD); false would be a bug.</summary>
    public bool Reconciles => LinkedNanos + UnlinkedNanos == TotalNanos && _byOutcome.Values.Sum(l => l.CostNanos) == LinkedNanos;

    /// <summary>The outcomes with spend in the rows added, costliest first (ties: completion, then id, ordinal).</summary>
    public IReadOnlyList<OutcomeSpendLine> Lines() => _byOutcome.Values
        .OrderByDescending(l => l.CostNanos).ThenBy(l => l.Outcome.CompletedAt).ThenBy(l => l.Outcome.Id, StringComparer.Ordinal)
        .Select(l => new OutcomeSpendLine(l.Outcome, l.Requests, l.CostNanos)).ToList();

    private sealed class Line(Outcome outcome)
    {
        public Outcome Outcome { get; } = outcome;
        public long Requests;
        public long CostNanos;
    }
}

public sealed record OutcomeSpendLine(Outcome Outcome, long Requests, long CostNanos);
