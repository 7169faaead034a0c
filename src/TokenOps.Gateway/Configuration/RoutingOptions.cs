namespace TokenOps.Gateway.Configuration;

/// <summary>
/// tokenops.json "routing": named routers a client picks with <c>model: "auto"</c> or <c>"auto:&lt;name&gt;"</c>, and
/// which router plain <c>auto</c> means for a team or a tier (team first, then tier, then the router named "auto").
/// </summary>
public sealed class RoutingOptions
{
    public Dictionary<string, RouterOptions> Routers { get; set; } = new(StringComparer.Ordinal);
    /// <summary>Team → router name used for plain <c>auto</c>.</summary>
    public Dictionary<string, string> Teams { get; set; } = new(StringComparer.Ordinal);
    /// <summary>Budget tier → router name used for plain <c>auto</c>.</summary>
    public Dictionary<string, string> Tiers { get; set; } = new(StringComparer.Ordinal);
    /// <summary>How long a session keeps the model first chosen for it after its last request.</summary>
    public double PinMinutes { get; set; } = 60;
    /// <summary>At most this many sessions pinned at once per replica (the least recently used go first).</summary>
    public int MaxPinnedSessions { get; set; } = 100_000;
}

/// <summary>One router: candidate models per protocol from cheap to strong, and a quality dial.</summary>
public sealed class RouterOptions
{
    /// <summary>Candidates for OpenAI-protocol requests, cheapest first, strongest last.</summary>
    public List<string> Openai { get; set; } = [];
    /// <summary>Candidates for Anthropic-protocol requests, cheapest first, strongest last.</summary>
    public List<string> Anthropic { get; set; } = [];
    /// <summary>The share of requests (0..1) that may go to the strongest candidate; the threshold follows the scores seen.</summary>
    public double? StrongShare { get; set; }
    /// <summary>Or a fixed score threshold (0..1): a request scoring at least this goes to the strongest candidate.</summary>
    public double? Threshold { get; set; }
    /// <summary>What the client would have used without the router, per protocol ("openai", "anthropic"), for the savings
    /// estimate; the strongest candidate when not set.</summary>
    public Dictionary<string, string> Baseline { get; set; } = new(StringComparer.Ordinal);
    /// <summary>Non-streamed requests try the cheaper model first and escalate when its answer fails a check.</summary>
    public bool Cascade { get; set; }
    /// <summary>A conversation stays on the model first chosen for it (it may escalate, never step down).</summary>
    public bool PinSessions { get; set; } = true;
}
