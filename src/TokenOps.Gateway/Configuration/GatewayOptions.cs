using TokenOps.Core.Pricing;

namespace TokenOps.Gateway.Configuration;

/// <summary>The whole of tokenops.json, after environment overrides. Validated by <see cref="GatewayOptionsValidator"/>.</summary>
public sealed class GatewayOptions
{
    /// <summary>Where the SQLite ledger and the journal live.</summary>
    public string DataDirectory { get; set; } = ".tokenops";

    /// <summary>Upstream providers by name (for example "openai", "anthropic", "deepseek").</summary>
    public Dictionary<string, ProviderOptions> Providers { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Model routes and aliases by the model name clients send.</summary>
    public Dictionary<string, ModelRouteOptions> Models { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Price overrides and custom models, in $ per million tokens.</summary>
    public Dictionary<string, PriceOverride> Prices { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Models that may be served without a price (recorded at $0, flagged by their missing catalog price).</summary>
    public List<string> AllowUnpriced { get; set; } = [];

    public long MaxRequestBodyBytes { get; set; } = 16 * 1024 * 1024;

    /// <summary>Name of the environment variable holding the admin token (never the token itself).</summary>
    public string AdminTokenEnv { get; set; } = "TOKENOPS_ADMIN_TOKEN";

    /// <summary>Fsync each journal append (survives power loss, not only process death). Off by default.</summary>
    public bool JournalFlushToDisk { get; set; }

    /// <summary>Token poker: a weekly hand of budget per person, a leaderboard, a bonus for the week's winners.</summary>
    public PokerOptions Poker { get; set; } = new();

    /// <summary>Prometheus /metrics and OpenTelemetry (OTLP) traces and metrics.</summary>
    public TelemetryOptions Telemetry { get; set; } = new();
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
}

public sealed class ModelRouteOptions
{
    public string? Provider { get; set; }
    /// <summary>The model name sent upstream, when it differs from the one the client sent (an alias).</summary>
    public string? Target { get; set; }
}
