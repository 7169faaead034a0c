using TokenOps.Core.Metering;
using TokenOps.Core.Pricing;
using TokenOps.Core.Savings;

namespace TokenOps.Core.Ledger;

/// <summary>
/// One request, whatever happened to it: the unit of truth. Costs are decimal here and become nano-USD in storage.
/// Prompt and completion text are never part of it.
/// </summary>
public sealed record LedgerEntry
{
    /// <summary>Unique event id; storage writes are idempotent on it.</summary>
    public required string Id { get; init; }
    public required DateTimeOffset StartedAt { get; init; }
    public required DateTimeOffset EndedAt { get; init; }
    public required string Route { get; init; }
    public string? KeyId { get; init; }
    public string? Person { get; init; }
    public string? Team { get; init; }
    public string? Project { get; init; }
    public string? Feature { get; init; }
    public string? Ticket { get; init; }
    public string? PullRequest { get; init; }
    /// <summary>Free tags as sorted "k=v" pairs joined by commas.</summary>
    public string? Tags { get; init; }
    public string? Provider { get; init; }
    public string? RequestedModel { get; init; }
    public string? ServedModel { get; init; }
    public TokenUsage Usage { get; init; } = TokenUsage.Zero;
    public CostBreakdown Cost { get; init; } = CostBreakdown.Zero;
    private readonly long? _costNanos;

    /// <summary>Total cost in nano-USD, rounded once from the exact decimal total (not a sum of rounded buckets).</summary>
    public long CostNanos { get => _costNanos ?? NanoUsd.FromUsd(Cost.Total); init => _costNanos = value; }

    public string? CatalogVersion { get; init; }
    public bool Streamed { get; init; }
    /// <summary>True when tokens were counted by TokenOps' tokenizer because the provider reported no usage.</summary>
    public bool Estimated { get; init; }
    public int Status { get; init; }
    public required LedgerOutcome Outcome { get; init; }
    public string? ErrorCode { get; init; }
    public double LatencyMs { get; init; }
    public double? TimeToFirstTokenMs { get; init; }
    public string? ProviderRequestId { get; init; }
    /// <summary>Where the row came from: "gateway", or an offline import such as "claude-code", "codex", "openai-export".</summary>
    public string Source { get; init; } = "gateway";
    /// <summary>The agent or chat session the request belongs to, when known (offline imports, session headers).</summary>
    public string? SessionId { get; init; }
    /// <summary>What budget enforcement did to the request, e.g. "degraded:gpt-4o->gpt-4o-mini", "clamped:max_tokens=512", "warned".</summary>
    public string? BudgetAction { get; init; }
    /// <summary>The person's stated reason, when a require-justification budget asked for one.</summary>
    public string? Justification { get; init; }

    /// <summary>What each lever saved against the request as the client asked for it (an estimate; see <see cref="SavingsBreakdown"/>).</summary>
    public SavingsBreakdown Savings { get; init; } = SavingsBreakdown.Zero;
    /// <summary>The levers applied to the request, comma-separated ledger names (a lever can apply and save nothing).</summary>
    public string? Levers { get; init; }
    /// <summary>What the request would have cost as the client asked, in nano-USD: the cost plus every lever's saving.</summary>
    public long AsAskedNanos => CostNanos + Savings.TotalNanos;
    /// <summary>The router's strong score (0..1) when the model was chosen by a router.</summary>
    public double? RouteScore { get; init; }
    /// <summary>The row this one is an attempt for (a cascade's cheaper attempts name the row of the answer the client got).</summary>
    public string? ParentId { get; init; }
    /// <summary>
    /// True when the served model had no price of its own and was priced at its family's newest known sibling (the
    /// family fallback): the cost is an estimate, not the catalog's price for this model.
    /// </summary>
    public bool PriceEstimated { get; init; }
    /// <summary>Output control applied, e.g. "max_tokens=1024(default)", "max_tokens=4096(cap)", "reasoning_effort=low(ceiling)".</summary>
    public string? OutputControl { get; init; }

    // Fingerprints of the request and its answer, never their text: what waste detection compares (docs/ARCHITECTURE.md, "Waste").
    /// <summary>64-bit hash of the stable prefix (tools and system prompt); null when the request had neither.</summary>
    public long? PrefixHash { get; init; }
    /// <summary>The prefix's size in tokens, estimated from its bytes (about four a token): is it long enough to cache?</summary>
    public long PrefixTokens { get; init; }
    /// <summary>64-bit hash of the whole prompt (tools, system, every message), without sampling parameters.</summary>
    public long? PromptHash { get; init; }
    /// <summary>64-bit SimHash of the last user turn's text: near-identical texts differ in few bits.</summary>
    public long? TurnSimHash { get; init; }
    public int MessageCount { get; init; }
    /// <summary>Why the answer stopped, as the provider said it (stop, length, tool_calls, end_turn, max_tokens, ...).</summary>
    public string? FinishReason { get; init; }
    /// <summary>Tool calls in the answer.</summary>
    public int ToolCallCount { get; init; }
    /// <summary>The client program, from its User-Agent: claude-code, codex, openai-python, openai-node, anthropic-sdk, curl, browser, other.</summary>
    public string? ClientFamily { get; init; }
    /// <summary>The key's kind when the row was written: person or automation.</summary>
    public string? KeyKind { get; init; }
    /// <summary>The batch (the gateway's batch id) this row is one line of, for rows the batch lane settled.</summary>
    public string? BatchId { get; init; }
    /// <summary>"exact" or "semantic" when TokenOps' response cache answered (cost 0, no tokens billed); null otherwise.</summary>
    public string? CacheHit { get; init; }
    /// <summary>The event id of the row whose answer a cache hit reused (its cost is this row's cache-hit saving).</summary>
    public string? CacheSourceId { get; init; }
}

/// <summary>How a request ended; every value still leaves a row.</summary>
public enum LedgerOutcome
{
    Ok,
    ProviderError,
    ClientAborted,
    UpstreamTimeout,
    UpstreamUnreachable,
    Refused,
}

/// <summary>Outcome names without the allocation of <see cref="Enum.ToString()"/> (boxing, per call): the hot paths
/// (ledger writes, rollups, metrics) name the outcome of every request.</summary>
public static class LedgerOutcomeNames
{
    private static readonly string[] Names = Enum.GetValues<LedgerOutcome>().Select(o => o.ToString()).ToArray();

    public static string Name(this LedgerOutcome outcome) => (uint)outcome < (uint)Names.Length ? Names[(int)outcome] : outcome.ToString();
}
