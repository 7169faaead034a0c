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
    long CostNanos);
