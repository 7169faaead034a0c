namespace TokenOps.Core.RateLimits;

/// <summary>What a rate limit counts: requests or tokens started per minute, or requests in flight.</summary>
public enum RateLimitKind
{
    RequestsPerMinute,
    TokensPerMinute,
    Concurrent,
}

public static class RateLimitKindNames
{
    /// <summary>The name clients see in error bodies and operators in metrics and the ledger.</summary>
    public static string Name(this RateLimitKind kind) => kind switch
    {
        RateLimitKind.RequestsPerMinute => "requests_per_minute",
        RateLimitKind.TokensPerMinute => "tokens_per_minute",
        _ => "concurrent_requests",
    };
}

/// <summary>
/// One limit applied to one request: the counter it draws on (<see cref="Scope"/>, for example "team:payments"; every
/// request of that team shares it) and its bounds, each optional.
/// </summary>
public sealed record AppliedRateLimit(string Scope, long? RequestsPerMinute, long? TokensPerMinute, long? Concurrent);

/// <summary>
/// A request asking to start. <see cref="LeaseId"/> is the ledger event id: unique, and what a shared backend keys the
/// concurrency slot by, so releasing it twice frees it once. <see cref="Tokens"/> is the admission estimate.
/// </summary>
public sealed record RateLimitAsk(string LeaseId, DateTimeOffset Now, long Tokens, IReadOnlyList<AppliedRateLimit> Limits);

/// <summary>The first limit that refused a request, and when retrying can succeed (whole seconds, at least 1).</summary>
public sealed record RateLimitRefusal(string Scope, RateLimitKind Kind, long Limit, int RetryAfterSeconds);

/// <summary>
/// What an admitted request holds until it ends: its token estimate in the window it started in (corrected to the
/// actual count on release) and a concurrency slot in each scope that limits concurrency.
/// </summary>
public sealed record RateLimitLease(string Id, long Window, long EstimatedTokens, string[] TokenScopes, string[] ConcurrencyScopes);

/// <summary>Either a lease (admitted) or the refusal.</summary>
public readonly record struct RateLimitDecision(RateLimitLease? Lease, RateLimitRefusal? Refusal)
{
    public bool Admitted => Lease is not null;
}
