namespace TokenOps.Simulator;

/// <summary>
/// Knobs of the simulated provider. Read on every request, so a test may change them on a running simulator.
/// </summary>
public sealed class SimulatorOptions
{
    /// <summary>Faults the random fault injector picks from (uniformly) when <see cref="FaultRate"/> fires.</summary>
    public static readonly IReadOnlyList<string> DefaultRandomFaults =
        ["error:429", "error:500", "error:503", "midstream", "nousage", "malformed"];

    /// <summary>Models listed by <c>GET /v1/models</c>. Any model name is served, listed or not.</summary>
    public static readonly IReadOnlyList<string> DefaultModels =
    [
        "gpt-4o", "gpt-4o-mini", "gpt-4.1", "gpt-4.1-mini", "gpt-5", "gpt-5-mini", "o3", "o4-mini",
        "text-embedding-3-small", "text-embedding-3-large",
        "claude-opus-4-5", "claude-sonnet-4-5", "claude-haiku-4-5",
    ];

    /// <summary>
    /// Milliseconds before anything is sent: the whole response when not streaming, the first token (headers and
    /// first event) when streaming. Overridden per request by <c>x-sim-latency-ms</c> / <c>x-sim-ttft-ms</c>.
    /// </summary>
    public int LatencyMs { get; set; }

    /// <summary>Milliseconds between streamed content events. Overridden per request by <c>x-sim-chunk-delay-ms</c>.</summary>
    public int InterChunkDelayMs { get; set; }

    /// <summary>When set, the only API key accepted (OpenAI bearer token or Anthropic x-api-key); otherwise any non-empty key.</summary>
    public string? RequiredApiKey { get; set; }

    /// <summary>Probability in [0, 1] that a request without an <c>x-sim-fault</c> header gets a random fault.</summary>
    public double FaultRate { get; set; }

    /// <summary>Seed of the random fault injector: the same seed and request order give the same faults.</summary>
    public int Seed { get; set; } = 1;

    /// <summary>Fault specs (same syntax as <c>x-sim-fault</c>) the random injector picks from.</summary>
    public IReadOnlyList<string> RandomFaults { get; set; } = DefaultRandomFaults;

    /// <summary>Embedding vector length when the request gives no <c>dimensions</c>.</summary>
    public int EmbeddingDimensions { get; set; } = 8;

    /// <summary>Record bill entries (turn off for very long benchmark runs to keep memory flat).</summary>
    public bool RecordBill { get; set; } = true;

    public IReadOnlyList<string> Models { get; set; } = DefaultModels;

    /// <summary>
    /// Prompt-cache entries (prefixes) held at most; past it, the oldest insertions go first. Bounds memory when every
    /// request has a new long prompt (benchmarks).
    /// </summary>
    public int PromptCacheCapacity { get; set; } = 100_000;

    /// <summary>
    /// OpenAI: requests per clock minute one cache route (the first 256 tokens and the <c>prompt_cache_key</c>) sends to
    /// its machine before the rest overflow to others ("approximately 15 requests per minute", OpenAI's guide).
    /// </summary>
    public int PromptCacheRouteRequestsPerMinute { get; set; } = 15;

    /// <summary>
    /// OpenAI: the machines each model's prompt cache is spread over. A route (the first 256 tokens and the
    /// <c>prompt_cache_key</c>) names one; an overflowing route's extra requests land on others, which hold only what
    /// was sent to them.
    /// </summary>
    public int PromptCacheMachines { get; set; } = 16;

    /// <summary>
    /// How long a batch (OpenAI <c>/v1/batches</c>, Anthropic <c>/v1/messages/batches</c>) takes on <see cref="TimeProvider"/>
    /// before it ends: the providers' day compressed to seconds. At or past <see cref="BatchExpiry"/> a batch expires unprocessed.
    /// </summary>
    public TimeSpan BatchProcessingTime { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>A batch's completion window (24 hours at both providers): unprocessed lines expire when it passes.</summary>
    public TimeSpan BatchExpiry { get; set; } = TimeSpan.FromHours(24);

    /// <summary>Clock for <c>created</c> fields, bill timestamps and prompt-cache TTLs (delays always use real time).</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegative(LatencyMs);
        ArgumentOutOfRangeException.ThrowIfNegative(InterChunkDelayMs);
        if (FaultRate is < 0 or > 1 || double.IsNaN(FaultRate))
        {
            throw new ArgumentOutOfRangeException(nameof(FaultRate), FaultRate, "FaultRate must be within [0, 1].");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(EmbeddingDimensions, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(PromptCacheCapacity, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(PromptCacheRouteRequestsPerMinute, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(PromptCacheMachines, 1);
        ArgumentNullException.ThrowIfNull(RandomFaults);
        ArgumentNullException.ThrowIfNull(Models);
        ArgumentNullException.ThrowIfNull(TimeProvider);
        ArgumentOutOfRangeException.ThrowIfLessThan(BatchProcessingTime, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(BatchExpiry, TimeSpan.Zero);
        if (FaultRate > 0 && RandomFaults.Count == 0)
        {
            throw new ArgumentException("RandomFaults is empty but FaultRate > 0.", nameof(RandomFaults));
        }

        foreach (var spec in RandomFaults)
        {
            if (!SimFault.TryParse(spec, out _))
            {
                throw new ArgumentException($"Unknown fault spec '{spec}' in RandomFaults.", nameof(RandomFaults));
            }
        }
    }
}
