namespace TokenOps.Core.Pricing;

/// <summary>
/// Per-token prices of one catalog model (USD per single token, as in LiteLLM's catalog). Null means "the catalog does
/// not say"; <see cref="CostCalculator"/> applies the fallbacks.
/// </summary>
public sealed record ModelPrice
{
    /// <summary>Catalog key, the model id as callers send it (e.g. <c>gpt-4o</c>, <c>gemini/gemini-2.5-pro</c>).</summary>
    public required string Model { get; init; }

    /// <summary>LiteLLM <c>litellm_provider</c>.</summary>
    public required string Provider { get; init; }

    /// <summary>LiteLLM <c>mode</c> (chat, embedding, responses, ...); null when the entry has none.</summary>
    public string? Mode { get; init; }

    public long? MaxInputTokens { get; init; }
    public long? MaxOutputTokens { get; init; }

    /// <summary><c>prompt_cache_min_tokens</c>: the shortest prefix the provider caches (Anthropic; null when the catalog does not say).</summary>
    public long? PromptCacheMinTokens { get; init; }

    /// <summary><c>input_cost_per_token</c>: uncached input.</summary>
    public decimal? Input { get; init; }

    /// <summary><c>output_cost_per_token</c>.</summary>
    public decimal? Output { get; init; }

    /// <summary><c>cache_read_input_token_cost</c>, else <c>input_cost_per_token_cache_hit</c>.</summary>
    public decimal? CacheRead { get; init; }

    /// <summary><c>cache_creation_input_token_cost</c>: 5-minute (default) cache write.</summary>
    public decimal? CacheWrite5m { get; init; }

    /// <summary><c>cache_creation_input_token_cost_above_1hr</c>: 1-hour TTL cache write (not a long-context tier).</summary>
    public decimal? CacheWrite1h { get; init; }

    /// <summary><c>output_cost_per_reasoning_token</c>.</summary>
    public decimal? Reasoning { get; init; }

    /// <summary><c>input_cost_per_token_batches</c>.</summary>
    public decimal? BatchInput { get; init; }

    /// <summary><c>output_cost_per_token_batches</c>.</summary>
    public decimal? BatchOutput { get; init; }

    public decimal? InputFlex { get; init; }
    public decimal? OutputFlex { get; init; }
    public decimal? CacheReadFlex { get; init; }
    public decimal? CacheWriteFlex { get; init; }

    public decimal? InputPriority { get; init; }
    public decimal? OutputPriority { get; init; }
    public decimal? CacheReadPriority { get; init; }
    public decimal? CacheWritePriority { get; init; }

    /// <summary><c>search_context_cost_per_query.search_context_size_medium</c> (the providers' default size): USD per web search.</summary>
    public decimal? WebSearchPerCall { get; init; }

    /// <summary><c>file_search_cost_per_1k_calls</c> / 1000: USD per file search call.</summary>
    public decimal? FileSearchPerCall { get; init; }

    /// <summary><c>input_cost_per_audio_token</c>: audio input tokens (else the input rate).</summary>
    public decimal? InputAudio { get; init; }

    /// <summary><c>output_cost_per_audio_token</c>: audio output tokens (else the output rate).</summary>
    public decimal? OutputAudio { get; init; }

    /// <summary><c>input_cost_per_image_token</c>: image input tokens (else the input rate).</summary>
    public decimal? InputImage { get; init; }

    /// <summary><c>output_cost_per_image_token</c>: image output tokens (else the output rate).</summary>
    public decimal? OutputImage { get; init; }

    /// <summary>
    /// USD per generated image: <c>output_cost_per_image</c>, else <c>input_cost_per_image</c> (LiteLLM's field for dall-e),
    /// else <c>input_cost_per_pixel</c> times the pixels of a size variant's key (<c>hd/1024-x-1024/dall-e-3</c>).
    /// </summary>
    public decimal? PerImage { get; init; }

    /// <summary>USD per second of audio: <c>input_cost_per_second</c> (transcription), else <c>output_cost_per_second</c> (speech).</summary>
    public decimal? PerSecond { get; init; }

    /// <summary><c>input_cost_per_character</c>: USD per input character (text-to-speech).</summary>
    public decimal? PerCharacter { get; init; }

    /// <summary>True when the model has a price per image, second or character.</summary>
    public bool HasUnitPrice => PerImage.HasValue || PerSecond.HasValue || PerCharacter.HasValue;

    /// <summary>Long-context tiers, ascending by threshold; empty when the model has flat pricing.</summary>
    public IReadOnlyList<LongContextTier> LongContextTiers { get; init; } = [];

    /// <summary>What the catalog says the model can take (tools, images, a JSON schema, reasoning); the router reads them.</summary>
    public ModelCapabilities Capabilities { get; init; } = ModelCapabilities.None;

    /// <summary>True when both the input and output token rates are known; only priced models can be costed as text.</summary>
    public bool IsPriced => Input.HasValue && Output.HasValue;

    /// <summary>
    /// True when <see cref="CostCalculator"/> can price the model: token-priced, or an image model whose output is image
    /// tokens only (gpt-image-1), or priced per image, second or character (the image and audio endpoints).
    /// </summary>
    public bool IsCostable => IsPriced || (Input.HasValue && OutputImage.HasValue) || HasUnitPrice;
}
