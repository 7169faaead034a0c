using TokenOps.Core.Ledger;

namespace TokenOps.Core.Outcomes;

/// <summary>The few ledger columns outcome linking needs, read as a stream (never the whole ledger in memory).</summary>
public readonly record struct SpendRow(
    string Id,
    DateTimeOffset StartedAt,
    string? Person,
    string? Team,
    string? Project,
    string? Feature,
    string? Ticket,
    string? PullRequest,
    string? Tags,
    long CostNanos)
{
    /// <summary>The linking columns of a full ledger row (the same fields <c>SqliteSpendReader</c> reads), so a stream of
    /// <see cref="LedgerEntry"/> links exactly as the outcomes report does.</summary>
    public static SpendRow From(LedgerEntry e) =>
        new(e.Id, e.StartedAt, e.Person, e.Team, e.Project, e.Feature, e.Ticket, e.PullRequest, e.Tags, e.CostNanos);
}
