using System.Globalization;
using TokenOps.Core.RateLimits;
using TokenOps.Gateway.Metering;
using TokenOps.Gateway.Protocols;
using TokenOps.Gateway.RateLimits;

namespace TokenOps.Gateway.Pipeline;

/// <summary>
/// Rate limits before budget admission: the request must fit every limit it falls under (its key's, person's and
/// team's requests per minute, tokens per minute and requests in flight), or it is refused with 429 and Retry-After.
/// Tokens count at admission as the request's reservation estimate (input counted by the tokenizer plus its output
/// limit) and are corrected to the actual count when the request ends; <see cref="End"/> also frees its concurrency
/// slots, once, however the request ended.
/// </summary>
public sealed class RateLimitStage(RateLimitEngine engine, IRateLimitCounters counters, TokenCounter tokens, Configuration.GatewayOptions options,
    RateLimitMetrics metrics, ILogger<RateLimitStage> logger)
{
    public async ValueTask RunAsync(ProxyContext context)
    {
        var limits = engine.Policy.For(context.Key!);
        if (limits.Length == 0) return;
        var estimate = NeedsTokens(limits) && context.Route.Billable ? Estimate(context) : 0;
        RateLimitDecision decision;
        try
        {
            decision = await counters.TryAcquireAsync(new RateLimitAsk(context.EventId, context.StartedAt, estimate, limits), context.Http.RequestAborted);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Only a shared backend can fail here (Redis unreachable): redis.onFailure decides, as it does for budgets.
            logger.LogWarning("Rate limit counters unavailable for event {EventId}: {Message}", context.EventId, ex.Message);
            if (options.Redis?.OnFailure == Storage.RedisFailureModes.FailOpen) return;
            throw new GatewayException(503, "rate_limits_unavailable", "TokenOps cannot check rate limits right now; retry shortly.") { RetryAfterSeconds = 1 };
        }
        if (decision.Lease is { } lease)
        {
            context.RateLimitLease = lease;
            return;
        }
        var refusal = decision.Refusal!;
        metrics.Refused(refusal);
        context.BudgetAction = $"rate_limited:{refusal.Scope}:{refusal.Kind.Name()}";
        throw new GatewayException(429, "rate_limit_exceeded", Message(refusal, estimate))
        {
            RetryAfterSeconds = refusal.RetryAfterSeconds,
            RateLimit = refusal,
        };
    }

    /// <summary>Corrects the lease's tokens to what the ledger row records and frees its slots; called once, when the pipeline is done.</summary>
    public ValueTask End(ProxyContext context) =>
        context.RateLimitLease is { } lease ? counters.ReleaseAsync(lease, context.SettledTokens ?? lease.EstimatedTokens) : ValueTask.CompletedTask;

    private static bool NeedsTokens(AppliedRateLimit[] limits)
    {
        foreach (var l in limits)
            if (l.TokensPerMinute is not null) return true;
        return false;
    }

    /// <summary>The budget reservation's size: input counted with its margin, plus the output limit of every choice.</summary>
    private long Estimate(ProxyContext context)
    {
        var size = RequestSize.Measure(context, tokens, options.Budgets.DefaultMaxOutputTokens);
        return size.InputTokens + size.MaxOutputTokens * size.Choices;
    }

    // Names the caller's own limit only (their key, person or team): never another caller's usage.
    private static string Message(RateLimitRefusal r, long estimate)
    {
        var (level, name) = (r.Scope[..r.Scope.IndexOf(':')], r.Scope[(r.Scope.IndexOf(':') + 1)..]);
        var what = r.Kind switch
        {
            RateLimitKind.RequestsPerMinute => $"{r.Limit} requests per minute",
            RateLimitKind.TokensPerMinute => estimate > r.Limit
                ? $"{r.Limit} tokens per minute, and this request alone may use up to {estimate} tokens (lower max_tokens)"
                : $"{r.Limit} tokens per minute",
            _ => $"{r.Limit} concurrent requests",
        };
        return string.Create(CultureInfo.InvariantCulture, $"Rate limit reached for {level} '{name}': {what}. Retry after {r.RetryAfterSeconds} s.");
    }
}
