namespace TokenOps.Core.Metering;

/// <summary>
/// Canonical token buckets of one request (REFERENCE.md 3.4). Input buckets are disjoint:
/// total input = UncachedInput + CacheRead + CacheWrite5m + CacheWrite1h.
/// Reasoning is a subset of Output, kept apart only because some models price it separately.
/// </summary>
public sealed record TokenUsage
{
    public long UncachedInput { get; init; }
    public long CacheRead { get; init; }
    public long CacheWrite5m { get; init; }
    public long CacheWrite1h { get; init; }
    /// <summary>All output tokens, reasoning included.</summary>
    public long Output { get; init; }
    /// <summary>Subset of <see cref="Output"/>.</summary>
    public long Reasoning { get; init; }
    public ServiceTier Tier { get; init; } = ServiceTier.Standard;
    /// <summary>Provider-side web searches (Anthropic <c>server_tool_use.web_search_requests</c>, OpenAI web search calls): billed per call.</summary>
    public long WebSearchCalls { get; init; }
    /// <summary>Anthropic web fetches (<c>server_tool_use.web_fetch_requests</c>): billed per call where the catalog prices them.</summary>
    public long WebFetchCalls { get; init; }
    /// <summary>OpenAI file search tool calls: billed per call.</summary>
    public long FileSearchCalls { get; init; }
    /// <summary>Audio tokens among the uncached input (OpenAI <c>prompt_tokens_details.audio_tokens</c>): priced at the audio input rate.</summary>
    public long AudioInput { get; init; }
    /// <summary>Audio tokens among the output, reasoning excluded (OpenAI <c>completion_tokens_details.audio_tokens</c>, speech tokens).</summary>
    public long AudioOutput { get; init; }
    /// <summary>Image tokens among the uncached input (gpt-image <c>input_tokens_details.image_tokens</c>).</summary>
    public long ImageInput { get; init; }
    /// <summary>Image tokens among the output, reasoning excluded (the image a gpt-image model generates).</summary>
    public long ImageOutput { get; init; }
    /// <summary>Images generated, for models priced per image (dall-e, a size/quality variant).</summary>
    public long Images { get; init; }
    /// <summary>Audio duration in milliseconds, for models priced per second (whisper: the transcription's <c>duration</c>).</summary>
    public long AudioMilliseconds { get; init; }
    /// <summary>Input characters, for models priced per character (tts-1: the text to speak).</summary>
    public long Characters { get; init; }

    public long TotalInput => UncachedInput + CacheRead + CacheWrite5m + CacheWrite1h;
    public long Total => TotalInput + Output;
    /// <summary>Uncached input that is text: neither audio nor image tokens (priced at the plain input rate).</summary>
    public long PlainInput => Math.Max(0, UncachedInput - Math.Max(0, AudioInput) - Math.Max(0, ImageInput));
    /// <summary>Output that is text: neither reasoning, audio nor image tokens (priced at the plain output rate).</summary>
    public long PlainOutput => Math.Max(0, Output - Math.Max(0, Reasoning) - Math.Max(0, AudioOutput) - Math.Max(0, ImageOutput));

    public static readonly TokenUsage Zero = new();
}

/// <summary>The price lane a request was served on; each has its own catalog rates.</summary>
public enum ServiceTier
{
    Standard,
    Batch,
    Flex,
    Priority,
}
