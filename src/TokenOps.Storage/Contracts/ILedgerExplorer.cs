namespace TokenOps.Storage;

/// <summary>
/// Ledger rows one page at a time, newest first, with keyset pagination on (started_at, id): each page is an index range
/// read, never an OFFSET. Also the degraded requests, through a covering partial index.
/// </summary>
public interface ILedgerExplorer
{
    const int MaxLimit = 500;

    (IReadOnlyList<ExplorerRow> Rows, string? NextCursor) Page(ExplorerFilter f);

    IReadOnlyList<DegradedRow> Degraded(DateTimeOffset from, DateTimeOffset to, string? team, string? person, int max = 20_000);

    /// <summary>Who asked for a Responses API response, and which provider holds it: its ledger row, by the provider's response id.</summary>
    ResponseOwner? ResponseOwner(string responseId);
}

/// <summary>The person whose request made a stored response, and the provider that stores it.</summary>
public sealed record ResponseOwner(string? Person, string? Provider);

/// <summary>Filters of the request explorer. Status is an outcome name (Ok, ProviderError, …) or "error" for any non-Ok.</summary>
public sealed record ExplorerFilter(DateTimeOffset From, DateTimeOffset To)
{
    public string? Person { get; init; }
    public string? Team { get; init; }
    public string? Project { get; init; }
    public string? Model { get; init; }
    public string? Status { get; init; }
    /// <summary>Keyset cursor from the previous page ("started_at|id"), or null for the newest rows.</summary>
    public string? Cursor { get; init; }
    public int Limit { get; init; } = 100;
}

/// <summary>One request as the explorer shows it: attribution, model, tokens, cost, status. Never prompt or completion text.</summary>
public sealed record ExplorerRow(
    string Id, string StartedAt, string? Person, string? Team, string? Project, string? Feature, string Route, string? Provider,
    string? RequestedModel, string? ServedModel, long InputTokens, long CacheReadTokens, long OutputTokens, long CostNanos,
    int Status, string Outcome, string? ErrorCode, double LatencyMs, bool Streamed, bool Estimated, string? BudgetAction, string Source);

/// <summary>A request that budget enforcement served with a cheaper model than the one asked for.</summary>
public sealed record DegradedRow(string? RequestedModel, string? ServedModel, long UncachedInput, long CacheRead, long CacheWrite5m,
    long CacheWrite1h, long Output, long Reasoning, long CostNanos, string BudgetAction);
