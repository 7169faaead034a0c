using System.Text;
using System.Text.Json;
using TokenOps.Core.Metering;
using TokenOps.Simulator.Infrastructure;
using TokenOps.Simulator.Protocols.Anthropic;

namespace TokenOps.Simulator.Generation;

/// <summary>
/// The usage a request will report and be billed. Input buckets are disjoint:
/// <see cref="InputTotal"/> = uncached + <see cref="CacheRead"/> + <see cref="CacheWrite5m"/> + <see cref="CacheWrite1h"/>.
/// </summary>
internal sealed record UsagePlan(
    long InputTotal,
    long CacheRead,
    long CacheWrite5m,
    long CacheWrite1h,
    long Output,
    long Reasoning,
    bool Truncated,
    ulong Seed,
    long WebSearches = 0,
    long WebFetches = 0,
    long AudioInput = 0,
    long AudioOutput = 0,
    long Images = 0,
    long ImageInput = 0,
    long ImageOutput = 0,
    long AudioMilliseconds = 0,
    long Characters = 0)
{
    public long UncachedInput => InputTotal - CacheRead - CacheWrite5m - CacheWrite1h;

    /// <summary>Visible (non-reasoning) output tokens = words of generated text.</summary>
    public int VisibleWords => (int)(Output - Reasoning);

    public TokenUsage ToTokenUsage(ServiceTier tier) => new()
    {
        UncachedInput = UncachedInput,
        CacheRead = CacheRead,
        CacheWrite5m = CacheWrite5m,
        CacheWrite1h = CacheWrite1h,
        Output = Output,
        Reasoning = Reasoning,
        Tier = tier,
        WebSearchCalls = WebSearches,
        WebFetchCalls = WebFetches,
        AudioInput = AudioInput,
        AudioOutput = AudioOutput,
        Images = Images,
        ImageInput = ImageInput,
        ImageOutput = ImageOutput,
        AudioMilliseconds = AudioMilliseconds,
        Characters = Characters,
    };
}

/// <summary>
/// Deterministic usage: a function of the request body and, for prompt caching, of the simulator's
/// <see cref="SimulatorPromptCache"/> (the prefixes earlier requests left in it, on the simulator's clock). Without a
/// cache (count_tokens, unit tests) the input is all uncached. The same requests in the same order at the same clock
/// times give the same usage, on every run and machine.
/// <list type="bullet">
/// <item>Text tokens: every text fragment (message content strings, "text" of content parts/blocks, tool-call
///   arguments, tool outputs, system prompt / instructions) counts ceil(UTF-8 bytes / 4) of its decoded text;
///   tool definitions count ceil(raw JSON bytes / 4), without an Anthropic tool's own cache_control member.</item>
/// <item>Input tokens (total, cached included) = text tokens + 4 per message (system prompt / instructions count
///   as a message; a plain-string Responses input is one message) + 3 reply-priming tokens.</item>
/// <item>Output tokens: natural length = 20 + (H mod 181), i.e. 20..200, where H = SplitMix64(FNV-1a 64 of the model name
///   and all counted text); capped by max_tokens / max_completion_tokens / max_output_tokens. When the cap
///   bites: finish_reason "length", stop_reason "max_tokens", Responses status "incomplete". cache_control markers
///   and prompt_cache_key are not counted text, so adding them changes neither input nor output.</item>
/// <item>Reasoning tokens (models "o&lt;digit&gt;…" and "gpt-5…" only): floor(40% of output), a subset of output.
///   The generated text has exactly (output - reasoning) words, one streamed content event per word.</item>
/// <item>OpenAI prompt cache (chat and responses; automatic): the input's prefixes at 1,024 tokens and every 128 tokens
///   after are cached for 5 minutes from their last use (24 hours with prompt_cache_retention "24h") on the machine the
///   request went to. A request goes to the machine its route names (a hash of the first 256 tokens and the
///   prompt_cache_key, when given; 16 machines per model by default); past 15 requests in a clock minute a route
///   overflows and further requests go to machines picked by a hash of the route and their count. cached_tokens (a
///   subset of the input) is the longest such prefix that machine holds for the same model.</item>
/// <item>Anthropic prompt cache: content blocks in prompt order (each tool, each system block or the system string,
///   each message's blocks or its string content); a block with cache_control is a breakpoint (a top-level
///   cache_control marks the last block). A breakpoint whose prefix (tokens from the start through its block) is below
///   the model's minimum (<see cref="PromptCacheMinimums"/>) is ignored. Cache read = the longest prefix the same model
///   cached within its TTL, looked for at each breakpoint and up to 20 blocks before it; the tokens from there to the
///   last breakpoint are written, each segment in the bucket of the TTL of the breakpoint ending it (ttl "1h" ->
///   ephemeral_1h, else ephemeral_5m); each breakpoint's prefix is then cached (5 minutes or 1 hour, refreshed by every
///   read). usage.input_tokens is the uncached rest only (disjoint buckets); the 3 priming tokens are never cached.</item>
/// <item>Embeddings: each input string counts max(1, ceil(bytes / 4)); a token-id array counts its length.</item>
/// </list>
/// </summary>
internal static class UsageRules
{
    public const int PerMessageOverhead = 4;
    public const int ReplyPriming = 3;
    public const int MinOutput = 20;
    public const int OutputSpread = 181;

    /// <summary>OpenAI routes a request to a cache machine by a hash of its first 256 tokens (and prompt_cache_key).</summary>
    public const int OpenAIRouteTokens = 256;
    public const int OpenAICacheStep = 128;

    public static bool IsReasoningModel(string model) =>
        (model.Length >= 2 && model[0] == 'o' && char.IsAsciiDigit(model[1]))
        || model.StartsWith("gpt-5", StringComparison.OrdinalIgnoreCase);

    public static UsagePlan OpenAIChat(JsonElement root, string model, long? maxTokens, SimulatorPromptCache? cache = null)
    {
        var meter = NewMeter(model, cache);
        if (root.Prop("messages"u8) is { ValueKind: JsonValueKind.Array } messages)
        {
            foreach (var message in messages.EnumerateArray())
            {
                meter.AddOverhead(PerMessageOverhead);
                meter.AddContent(message);
            }
        }

        AddTools(meter, root);
        // Audio in (input_audio parts): one token per 16 bytes of the base64 data, at least 1, uncached.
        long audioIn = 0;
        if (root.Prop("messages"u8) is { ValueKind: JsonValueKind.Array } all)
        {
            foreach (var message in all.EnumerateArray())
            {
                if (message.Prop("content"u8) is not { ValueKind: JsonValueKind.Array } parts) continue;
                foreach (var part in parts.EnumerateArray())
                {
                    if (part.StringProp("type"u8) == "input_audio" && part.Prop("input_audio"u8) is { ValueKind: JsonValueKind.Object } audio)
                    {
                        var bytes = audio.Prop("data"u8) is { ValueKind: JsonValueKind.String } data ? System.Runtime.InteropServices.JsonMarshal.GetRawUtf8Value(data).Length : 0;
                        audioIn += Math.Max(1, (bytes + 15) / 16);
                    }
                }
            }
        }

        meter.AddOverhead((int)Math.Min(audioIn, int.MaxValue));
        meter.AddOverhead(ReplyPriming);
        var plan = OpenAIPlan(meter, root, model, maxTokens, cache);
        // Audio out (modalities has "audio"): three quarters of the visible output are audio tokens, the rest the transcript.
        var audioOut = HasAudioOutput(root) ? (plan.Output - plan.Reasoning) * 3 / 4 : 0;
        return plan with { AudioInput = Math.Min(audioIn, plan.UncachedInput), AudioOutput = audioOut };
    }

    private static bool HasAudioOutput(JsonElement root)
    {
        if (root.Prop("modalities"u8) is not { ValueKind: JsonValueKind.Array } modalities) return false;
        foreach (var m in modalities.EnumerateArray())
        {
            if (m.ValueKind == JsonValueKind.String && m.ValueEquals("audio"u8)) return true;
        }

        return false;
    }

    public static UsagePlan OpenAIResponses(JsonElement root, string model, long? maxTokens, SimulatorPromptCache? cache = null)
    {
        var meter = NewMeter(model, cache);
        if (root.Prop("instructions"u8) is { ValueKind: JsonValueKind.String } instructions)
        {
            meter.AddOverhead(PerMessageOverhead);
            meter.AddString(instructions);
        }

        switch (root.Prop("input"u8))
        {
            case { ValueKind: JsonValueKind.String } text:
                meter.AddOverhead(PerMessageOverhead);
                meter.AddString(text);
                break;
            case { ValueKind: JsonValueKind.Array } items:
                foreach (var item in items.EnumerateArray())
                {
                    meter.AddOverhead(PerMessageOverhead);
                    meter.AddContent(item);
                }

                break;
        }

        AddTools(meter, root);
        meter.AddOverhead(ReplyPriming);
        return OpenAIPlan(meter, root, model, maxTokens, cache);
    }

    /// <summary>
    /// Legacy completions: each prompt (a string, or token ids: one token each) and the suffix count as text, with no
    /// message overhead; one choice's output follows the usual rule, capped by max_tokens (16 when absent, as the API's
    /// default). <paramref name="generated"/> choices are generated (prompts x best_of, else n): all are billed.
    /// </summary>
    public static UsagePlan OpenAICompletions(JsonElement root, string model, long maxTokens, int generated)
    {
        var meter = NewMeter(model);
        switch (root.Prop("prompt"u8))
        {
            case { ValueKind: JsonValueKind.String } text:
                meter.AddString(text);
                break;
            case { ValueKind: JsonValueKind.Array } prompts:
                foreach (var prompt in prompts.EnumerateArray())
                {
                    if (prompt.ValueKind == JsonValueKind.String) meter.AddString(prompt);
                    else if (prompt.ValueKind is JsonValueKind.Number or JsonValueKind.Array)
                    {
                        // Token ids: one token each, their JSON in the hash.
                        meter.AddOverhead(prompt.ValueKind == JsonValueKind.Array ? prompt.GetArrayLength() : 1);
                        meter.HashOnly(System.Runtime.InteropServices.JsonMarshal.GetRawUtf8Value(prompt));
                    }
                }

                break;
        }

        if (root.Prop("suffix"u8) is { ValueKind: JsonValueKind.String } suffix)
        {
            meter.AddString(suffix);
        }

        var (output, truncated) = OutputLength(meter.Mixed, maxTokens);
        return new UsagePlan(meter.Tokens, 0, 0, 0, output * generated, 0, truncated, meter.Mixed);
    }

    public static UsagePlan AnthropicMessages(JsonElement root, string model, long maxTokens, SimulatorPromptCache? cache = null)
    {
        var meter = NewMeter(model);
        var blocks = new List<PrefixMark>();
        var breakpoints = new List<CacheBreakpoint>();

        void EndBlock(JsonElement block)
        {
            blocks.Add(meter.Mark());
            if (CacheControl(block) is { } oneHour)
            {
                breakpoints.Add(new CacheBreakpoint(blocks.Count - 1, oneHour));
            }
        }

        if (root.Prop("tools"u8) is { ValueKind: JsonValueKind.Array } tools)
        {
            foreach (var tool in tools.EnumerateArray())
            {
                meter.AddUtf8(AnthropicCacheControl.WithoutMarker(tool));
                EndBlock(tool);
            }
        }

        switch (root.Prop("system"u8))
        {
            case { ValueKind: JsonValueKind.String } system:
                meter.AddOverhead(PerMessageOverhead);
                meter.AddString(system);
                blocks.Add(meter.Mark());
                break;
            case { ValueKind: JsonValueKind.Array } systemBlocks:
                meter.AddOverhead(PerMessageOverhead);
                foreach (var block in systemBlocks.EnumerateArray())
                {
                    meter.AddContent(block);
                    EndBlock(block);
                }

                break;
        }

        if (root.Prop("messages"u8) is { ValueKind: JsonValueKind.Array } messages)
        {
            foreach (var message in messages.EnumerateArray())
            {
                meter.AddOverhead(PerMessageOverhead);
                switch (message.Prop("content"u8))
                {
                    case { ValueKind: JsonValueKind.Array } content:
                        foreach (var block in content.EnumerateArray())
                        {
                            meter.AddContent(block);
                            EndBlock(block);
                        }

                        break;
                    case { } content:
                        meter.AddContent(content);
                        blocks.Add(meter.Mark());
                        break;
                }
            }
        }

        // Top-level cache_control (automatic caching): the breakpoint is the last block, so it moves as the conversation grows.
        if (CacheControl(root) is { } automatic && blocks.Count > 0)
        {
            breakpoints.Add(new CacheBreakpoint(blocks.Count - 1, automatic));
        }

        meter.AddOverhead(ReplyPriming);
        var (output, truncated) = OutputLength(meter.Mixed, maxTokens);
        var cached = cache is null || breakpoints.Count == 0
            ? default
            : cache.Anthropic(model, blocks, breakpoints, PromptCacheMinimums.For(model));
        return new UsagePlan(meter.Tokens, cached.Read, cached.Write5m, cached.Write1h, output, Reasoning(model, output), truncated, meter.Mixed);
    }

    /// <summary>Token count of one embeddings input item (string or token-id array); adds it to the hash.</summary>
    public static long EmbeddingInputTokens(JsonElement item, TextMeter meter)
    {
        if (item.ValueKind == JsonValueKind.String)
        {
            var before = meter.Tokens;
            meter.AddString(item);
            return Math.Max(1, meter.Tokens - before);
        }

        meter.AddRawJson(item);
        return item.ValueKind == JsonValueKind.Array ? item.GetArrayLength() : 1;
    }

    public static TextMeter NewMeter(string model, SimulatorPromptCache? openAICache = null)
    {
        var meter = new TextMeter();
        if (openAICache is not null)
        {
            meter.TrackSteps(OpenAIRouteTokens, PromptCacheMinimums.Default, OpenAICacheStep);
        }

        Span<byte> buffer = stackalloc byte[256];
        if (Encoding.UTF8.TryGetBytes(model, buffer, out var written))
        {
            meter.HashOnly(buffer[..written]);
        }
        else
        {
            meter.HashOnly(Encoding.UTF8.GetBytes(model));
        }

        return meter;
    }

    private static void AddTools(TextMeter meter, JsonElement root)
    {
        if (root.Prop("tools"u8) is { ValueKind: JsonValueKind.Array } tools)
        {
            foreach (var tool in tools.EnumerateArray())
            {
                meter.AddRawJson(tool);
            }
        }
    }

    private static UsagePlan OpenAIPlan(TextMeter meter, JsonElement root, string model, long? maxTokens, SimulatorPromptCache? cache)
    {
        var (output, truncated) = OutputLength(meter.Mixed, maxTokens);
        long cached = 0;
        // Steps: the route (256 tokens) first, then 1,024, 1,152, ...; a prompt below 1,024 tokens is never cached.
        if (cache is not null && meter.Steps is { Count: > 1 } steps)
        {
            var ttl = root.StringProp("prompt_cache_retention"u8) == "24h" ? SimulatorPromptCache.OneDay : SimulatorPromptCache.FiveMinutes;
            cached = cache.OpenAI(model, root.StringProp("prompt_cache_key"u8), steps[0].Hash, [.. steps.Skip(1)], ttl);
        }

        return new UsagePlan(meter.Tokens, cached, 0, 0, output, Reasoning(model, output), truncated, meter.Mixed);
    }

    private static (long Output, bool Truncated) OutputLength(ulong hash, long? maxTokens)
    {
        var natural = MinOutput + (long)(hash % OutputSpread);
        return maxTokens is { } cap && cap < natural ? (cap, true) : (natural, false);
    }

    private static long Reasoning(string model, long output) => IsReasoningModel(model) ? output * 2 / 5 : 0;

    /// <summary>Null without a cache_control object; else whether its TTL is one hour.</summary>
    private static bool? CacheControl(JsonElement element) =>
        element.ValueKind == JsonValueKind.Object && element.Prop("cache_control"u8) is { ValueKind: JsonValueKind.Object } cacheControl
            ? cacheControl.StringProp("ttl"u8) == "1h"
            : null;
}
