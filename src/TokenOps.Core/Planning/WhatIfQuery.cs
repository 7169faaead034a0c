namespace TokenOps.Core.Planning;

/// <summary>
/// What a what-if reads from the ledger in one pass: generative requests (not embeddings, moderations or token counts)
/// started in [From, Until), optionally of one team and one served model, summed per team, model, lane and size band.
/// The bands split the rows at <see cref="InputBounds"/> (total input tokens) and <see cref="OutputBounds"/> (output
/// tokens): a row is in input band k when it has more input than exactly k of the bounds. Every boundary the target's
/// prices and limits draw (long-context tiers, context window, output limit), moved into each source family's token
/// counts, is a bound, so all the rows of a band pay the same target rates and fit or overflow the target alike.
/// </summary>
public sealed record WhatIfQuery(DateTimeOffset From, DateTimeOffset Until, string? Team, string? Model, IReadOnlyList<long> InputBounds, IReadOnlyList<long> OutputBounds);

/// <summary>
/// One band of requests of one team on one served model and lane: how many, their summed token buckets (reasoning
/// clamped to output per request) and tool calls, what they cost, how many produced reasoning tokens, and example ids.
/// </summary>
public sealed record WhatIfCell(
    string Team,
    string Model,
    Metering.ServiceTier Tier,
    int InputBand,
    int OutputBand,
    long Requests,
    long UncachedInput,
    long CacheRead,
    long CacheWrite5m,
    long CacheWrite1h,
    long Output,
    long Reasoning,
    long WebSearchCalls,
    long FileSearchCalls,
    long CostNanos,
    long WithReasoning,
    string? ReasoningExample,
    string Example);
