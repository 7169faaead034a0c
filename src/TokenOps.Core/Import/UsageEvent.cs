namespace TokenOps.Core.Import;

/// <summary>
/// One usage-bearing log line (Claude Code assistant message, Codex token_count turn), reduced to the few fields a
/// report or an import needs. Token buckets follow REFERENCE 3.4: <see cref="Input"/> is uncached input,
/// <see cref="CacheCreation"/> all cache writes (of which <see cref="Cache1h"/> are 1-hour writes), <see cref="Output"/>
/// includes <see cref="Reasoning"/>.
/// </summary>
public struct UsageEvent
{
    public long TimestampMs;
    public string Model;
    /// <summary>Claude Code <c>usage.speed == "fast"</c>: reported under <c>&lt;model&gt;-fast</c>, as ccusage does.</summary>
    public bool Fast;
    public bool IsSidechain;
    public string? SessionId;
    /// <summary>The project: Claude Code, the last folder of the line's <c>cwd</c> (else the encoded folder under <c>projects/</c>); Codex, its session's cwd.</summary>
    public string? Project;
    /// <summary>Hash of (message.id, requestId); 0 when either is missing (such lines are never de-duplicated).</summary>
    public ulong PairKey;
    /// <summary>Hash of message.id alone; 0 when missing. Used for sidechain replays.</summary>
    public ulong MessageKey;
    public long Input;
    public long Output;
    public long CacheCreation;
    public long CacheRead;
    /// <summary>1-hour cache writes, a subset of <see cref="CacheCreation"/> (the rest are 5-minute writes).</summary>
    public long Cache1h;
    public long Reasoning;
    /// <summary>The <c>costUSD</c> the line carried, in nano-USD; -1 when absent.</summary>
    public long CostNanos;
    /// <summary>Only filled when the parser is asked to keep ids (ledger import); null in reports.</summary>
    public string? MessageId;
    public string? RequestId;
    /// <summary>1-based line number in its file.</summary>
    public int Line;

    public readonly long TotalTokens => Input + Output + CacheCreation + CacheRead;

    public readonly bool HasCost => CostNanos >= 0;

    /// <summary>The name reports group by: the model, with <c>-fast</c> for fast-mode requests.</summary>
    public readonly string ReportModel => Fast ? Model + "-fast" : Model;
}

/// <summary>What the parser made of one line.</summary>
public enum LineKind
{
    /// <summary>No usage on the line (user, summary, system lines): ignored, not an error.</summary>
    NoUsage,
    /// <summary>A usage event was produced.</summary>
    Usage,
    /// <summary>Claude Code's <c>&lt;synthetic&gt;</c> model or an all-zero turn: not a billed request, ignored.</summary>
    Ignored,
    /// <summary>Corrupt, truncated or invalid: skipped and counted.</summary>
    Invalid,
}

/// <summary>Reads one line of an agent's session log (Claude Code, Codex) into a usage event.</summary>
public interface IUsageLineParser
{
    LineKind Parse(ReadOnlySpan<byte> line, out UsageEvent e, out string? error);
}
