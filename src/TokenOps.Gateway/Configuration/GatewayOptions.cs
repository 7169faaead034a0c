using TokenOps.Core.Pricing;
using TokenOps.Storage;

namespace TokenOps.Gateway.Configuration;

/// <summary>The whole of tokenops.json, after environment overrides. Validated by <see cref="GatewayOptionsValidator"/>.</summary>
public sealed class GatewayOptions
{
    /// <summary>Where the SQLite ledger and the journal live.</summary>
    public string DataDirectory { get; set; } = ".tokenops";

    /// <summary>The backend that holds the ledger and the gateway's state ("storage": { "kind": "sqlite" } by default).</summary>
    public StorageOptions Storage { get; set; } = new();

    /// <summary>Shared budget counters for a fleet ("redis"); absent means counters in each gateway process.</summary>
    public RedisOptions? Redis { get; set; }

    /// <summary>Upstream providers by name (for example "openai", "anthropic", "deepseek").</summary>
    public Dictionary<string, ProviderOptions> Providers { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Model routes and aliases by the model name clients send.</summary>
    public Dictionary<string, ModelRouteOptions> Models { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Price overrides and custom models, in $ per million tokens.</summary>
    public Dictionary<string, PriceOverride> Prices { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Pricing behaviour: the family fallback for models newer than the catalog.</summary>
    public PricingOptions Pricing { get; set; } = new();

    /// <summary>Models that may be served without a price (recorded at $0, flagged by their missing catalog price).</summary>
    public List<string> AllowUnpriced { get; set; } = [];

    public long MaxRequestBodyBytes { get; set; } = 16 * 1024 * 1024;

    /// <summary>Name of the environment variable holding the admin token (never the token itself).</summary>
    public string AdminTokenEnv { get; set; } = "TOKENOPS_ADMIN_TOKEN";

    /// <summary>Fsync each journal append (survives power loss, not only process death). Off by default.</summary>
    public bool JournalFlushToDisk { get; set; }

    /// <summary>Disk allocated per journal segment (8 MiB). Rotation happens with an eighth of it still free, which is
    /// the room that absorbs requests in flight when a new segment cannot be created.</summary>
    public long JournalSegmentBytes { get; set; } = 8L << 20;

    /// <summary>Free disk the journal leaves to others (SQLite, on the same disk): no segment is created that would
    /// leave less. While none can be, the gateway answers 503 ledger_unavailable instead of forwarding.</summary>
    public long JournalMinFreeBytes { get; set; } = 64L << 20;

    /// <summary>How long ledger rows gather before one batch write (group commit), in milliseconds. Longer: bigger
    /// batches and fewer round trips, rows visible in reports that much later; none is at risk (each is journalled first).</summary>
    public int LedgerBatchWindowMs { get; set; } = 50;

    /// <summary>Token poker: a weekly hand of budget per person, a leaderboard, a bonus for the week's winners.</summary>
    public PokerOptions Poker { get; set; } = new();

    /// <summary>Prometheus /metrics and OpenTelemetry (OTLP) traces and metrics.</summary>
    public TelemetryOptions Telemetry { get; set; } = new();

    /// <summary>The web dashboard at "/" (roles, team leads, transparency).</summary>
    public DashboardOptions Dashboard { get; set; } = new();

    /// <summary>Cost per outcome: webhooks, people mapping, linking window, adoption date, ROI valuation.</summary>
    public OutcomeOptions Outcomes { get; set; } = new();

    /// <summary>Alerts before limits: thresholds, forecast alerts and the webhooks they are delivered to.</summary>
    public AlertOptions Alerts { get; set; } = new();

    /// <summary>Budgets: the organisation pool, team caps, personal stipends, tiers and project budgets (the CLI and admin API add more).</summary>
    public BudgetsOptions Budgets { get; set; } = new();

    /// <summary>Rate limits per key, person and team (the CLI's `tokenops limits` adds more).</summary>
    public RateLimitOptions RateLimits { get; set; } = new();

    /// <summary>Model routing: <c>model: "auto"</c> picks the cheapest candidate that will do.</summary>
    public RoutingOptions Routing { get; set; } = new();

    /// <summary>Output limits and reasoning ceilings per route, tier and team (max_tokens default and cap, reasoning effort, thinking budget).</summary>
    public OutputControlOptions OutputControl { get; set; } = new();

    /// <summary>Prompt-cache help per route and team: Anthropic cache breakpoints, OpenAI prompt_cache_key (off by default).</summary>
    public PromptCacheOptions PromptCache { get; set; } = new();

    /// <summary>How long per-request ledger detail is kept (rollups for ever); exported before it is purged.</summary>
    public RetentionOptions Retention { get; set; } = new();

    /// <summary>The batch lane: upload bound, lines per batch, how often a replica polls unsettled batches.</summary>
    public BatchOptions Batches { get; set; } = new();

    /// <summary>TokenOps' response cache: the exact cache per route and team (off by default).</summary>
    public ResponseCacheOptions Cache { get; set; } = new();
}

/// <summary>tokenops.json "batches".</summary>
public sealed class BatchOptions
{
    /// <summary>The largest batch upload (OpenAI file, Anthropic request body) the gateway reads, in bytes.</summary>
    public long MaxBodyBytes { get; set; } = 64L << 20;

    /// <summary>The most lines one batch may hold (both providers allow 50,000 or more; a bound keeps the check cheap).</summary>
    public int MaxLines { get; set; } = 50_000;

    /// <summary>Seconds between polls of unsettled batches (each replica; jittered by ±20 %). 0 turns polling off.</summary>
    public double PollSeconds { get; set; } = 30;
}

public sealed class BudgetsOptions
{
    /// <summary>Calendar periods' time zone (IANA id) unless a budget names its own.</summary>
    public string TimeZone { get; set; } = "UTC";
    public BudgetOptions? Organisation { get; set; }
    public Dictionary<string, BudgetOptions> Teams { get; set; } = new(StringComparer.Ordinal);
    public Dictionary<string, BudgetOptions> People { get; set; } = new(StringComparer.Ordinal);
    public Dictionary<string, BudgetOptions> Projects { get; set; } = new(StringComparer.Ordinal);
    /// <summary>Tiers (for example senior, junior): members, their stipend, allowed models, and the model a degrade serves.</summary>
    public Dictionary<string, TierOptions> Tiers { get; set; } = new(StringComparer.Ordinal);
    /// <summary>When a hard budget cannot cover max_tokens, lower max_tokens to what fits instead of refusing.</summary>
    public bool ClampMaxTokens { get; set; }
    /// <summary>Below this many output tokens a clamp is pointless: refuse instead.</summary>
    public long MinClampedMaxTokens { get; set; } = 16;
    /// <summary>Output tokens reserved when neither the request nor the catalog gives a limit.</summary>
    public long DefaultMaxOutputTokens { get; set; } = 4096;
    /// <summary>A reservation nobody settled is released after this long (settling runs on every exit path; this is the safety net).</summary>
    public double ReservationTtlMinutes { get; set; } = 15;
    /// <summary>The cheaper model a degrade serves when the person's tier names none (for the protocol that model speaks).</summary>
    public string? DegradeModel { get; set; }
    /// <summary>The degrade model per protocol ("openai", "anthropic"): a degrade never crosses protocols.</summary>
    public Dictionary<string, string> DegradeModels { get; set; } = new(StringComparer.OrdinalIgnoreCase);
}

public sealed class BudgetOptions
{
    public decimal LimitUsd { get; set; }
    /// <summary>daily, weekly, monthly (calendar, in the time zone) or rolling:N (the last N days).</summary>
    public string Period { get; set; } = "monthly";
    /// <summary>hard (refuse with 402) or soft (apply softAction).</summary>
    public string Mode { get; set; } = "hard";
    /// <summary>warn, degrade or require-justification.</summary>
    public string SoftAction { get; set; } = "warn";
    public bool Rollover { get; set; }
    public decimal RolloverCeilingUsd { get; set; }
    public string? TimeZone { get; set; }
}

public sealed class TierOptions
{
    public List<string> People { get; set; } = [];
    /// <summary>Each member's personal budget, unless the member has one under budgets.people.</summary>
    public BudgetOptions? Stipend { get; set; }
    /// <summary>Models members may call; absent means any.</summary>
    public List<string>? AllowedModels { get; set; }
    /// <summary>The cheaper model a degrade serves, for the protocol that model speaks.</summary>
    public string? DegradeModel { get; set; }
    /// <summary>The degrade model per protocol ("openai", "anthropic"): each protocol the tier's people use needs one.</summary>
    public Dictionary<string, string> DegradeModels { get; set; } = new(StringComparer.OrdinalIgnoreCase);
}

public sealed class PokerOptions
{
    public bool Enabled { get; set; }
    /// <summary>Each player's weekly hand in USD; no rollover.</summary>
    public decimal WeeklyHandUsd { get; set; } = 25m;
    /// <summary>Extra USD on next week's hand for each of the week's winners.</summary>
    public decimal WinnerBonusUsd { get; set; } = 5m;
    /// <summary>How many top players count as winners.</summary>
    public int Winners { get; set; } = 3;
    /// <summary>Show players as anonymous labels instead of names (visibility without blame).</summary>
    public bool Anonymised { get; set; }
    /// <summary>The scoring policy's name (see IPokerScoringPolicy).</summary>
    public string Scoring { get; set; } = "successful-requests-per-dollar";
    /// <summary>The calendar week's time zone (IANA id).</summary>
    public string TimeZone { get; set; } = "UTC";
}

public sealed class ProviderOptions
{
    /// <summary>"openai" (also any OpenAI-compatible server: vLLM, Ollama, DeepSeek) or "anthropic".</summary>
    public string Kind { get; set; } = "openai";
    public string BaseUrl { get; set; } = "";
    /// <summary>Environment variable that holds the provider key.</summary>
    public string? ApiKeyEnv { get; set; }
    /// <summary>File that holds the provider key.</summary>
    public string? ApiKeyFile { get; set; }
    /// <summary>Longest wait for the provider's response headers, and between two stream reads.</summary>
    public double TimeoutSeconds { get; set; } = 120;
    /// <summary>
    /// Client headers to forward besides the built-in allow-list (SDK headers, tracing, anthropic-version/beta): names,
    /// or prefixes ending in '*'. Credentials, cookies, organisation/project selectors and X-Forwarded-* are refused.
    /// </summary>
    public List<string> ForwardHeaders { get; set; } = [];
}

public sealed class ModelRouteOptions
{
    public string? Provider { get; set; }
    /// <summary>The model name sent upstream, when it differs from the one the client sent (an alias).</summary>
    public string? Target { get; set; }
}
