using System.Text;
using System.Text.Json;
using TokenOps.Core.Metering;
using TokenOps.Simulator.Infrastructure;

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
    long WebFetches = 0)
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
    };
}

/// <summary>
/// Deterministic usage: a pure function of the request body (same body, same usage, on every run and machine).
/// <list type="bullet">
/// <item>Text tokens: every text fragment (message content strings, "text" of content parts/blocks, tool-call
///   arguments, tool outputs, system prompt / instructions) counts ceil(UTF-8 bytes / 4) of its decoded text;
///   tool definitions count ceil(raw JSON bytes / 4).</item>
/// <item>Input tokens (total, cached included) = text tokens + 4 per message (system prompt / instructions count
///   as a message; a plain-string Responses input is one message) + 3 reply-priming tokens.</item>
/// <item>Output tokens: natural length = 20 + (H mod 181), i.e. 20..200, where H = SplitMix64(FNV-1a 64 of the model name
///   and all counted text); capped by max_tokens / max_completion_tokens / max_output_tokens. When the cap
///   bites: finish_reason "length", stop_reason "max_tokens", Responses status "incomplete".</item>
/// <item>Reasoning tokens (models "o&lt;digit&gt;…" and "gpt-5…" only): floor(40% of output), a subset of output.
///   The generated text has exactly (output - reasoning) words, one streamed content event per word.</item>
/// <item>OpenAI cached tokens (chat and responses) = largest multiple of 128 &lt;= input - 1024 when input &gt;= 1024,
///   else 0 (a subset of prompt/input tokens).</item>
/// <item>Anthropic: only when some tool, system block, content block (or the top-level request) carries
///   cache_control. The cacheable prefix ends after the last marked block (prefix order: tools, system,
///   messages; the 3 priming tokens are never cached). Bit 32 of H set: the whole prefix is a cache read;
///   clear: the prefix is a cache write, each segment between breakpoints in the bucket of the TTL of the
///   breakpoint ending it (ttl "1h" -> ephemeral_1h, otherwise ephemeral_5m). usage.input_tokens is the
///   uncached rest only (disjoint buckets).</item>
/// <item>Embeddings: each input string counts max(1, ceil(bytes / 4)); a token-id array counts its length.</item>
/// </list>
/// </summary>
internal static class UsageRules
{
    public const int PerMessageOverhead = 4;
    public const int ReplyPriming = 3;
    public const int MinOutput = 20;
    public const int OutputSpread = 181;

    public static bool IsReasoningModel(string model) =>
        (model.Length >= 2 && model[0] == 'o' && char.IsAsciiDigit(model[1]))
        || model.StartsWith("gpt-5", StringComparison.OrdinalIgnoreCase);

    public static long OpenAICached(long input) => input >= 1024 ? (input - 1024) / 128 * 128 : 0;

    public static UsagePlan OpenAIChat(JsonElement root, string model, long? maxTokens)
    {
        var meter = NewMeter(model);
        if (root.Prop("messages"u8) is { ValueKind: JsonValueKind.Array } messages)
        {
            foreach (var message in messages.EnumerateArray())
            {
                meter.AddOverhead(PerMessageOverhead);
                meter.AddContent(message);
            }
        }

        AddTools(meter, root);
        meter.AddOverhead(ReplyPriming);
        return OpenAIPlan(meter, model, maxTokens);
    }

    public static UsagePlan OpenAIResponses(JsonElement root, string model, long? maxTokens)
    {
        var meter = NewMeter(model);
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
        return OpenAIPlan(meter, model, maxTokens);
    }

    public static UsagePlan AnthropicMessages(JsonElement root, string model, long maxTokens)
    {
        var meter = NewMeter(model);
        var breakpoints = new List<(long At, bool OneHour)>();

        if (root.Prop("tools"u8) is { ValueKind: JsonValueKind.Array } tools)
        {
            foreach (var tool in tools.EnumerateArray())
            {
                meter.AddRawJson(tool);
                MarkBreakpoint(meter, tool, breakpoints);
            }
        }

        switch (root.Prop("system"u8))
        {
            case { ValueKind: JsonValueKind.String } system:
                meter.AddOverhead(PerMessageOverhead);
                meter.AddString(system);
                break;
            case { ValueKind: JsonValueKind.Array } systemBlocks:
                meter.AddOverhead(PerMessageOverhead);
                foreach (var block in systemBlocks.EnumerateArray())
                {
                    meter.AddContent(block);
                    MarkBreakpoint(meter, block, breakpoints);
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
                    case { ValueKind: JsonValueKind.Array } blocks:
                        foreach (var block in blocks.EnumerateArray())
                        {
                            meter.AddContent(block);
                            MarkBreakpoint(meter, block, breakpoints);
                        }

                        break;
                    case { } content:
                        meter.AddContent(content);
                        break;
                }
            }
        }

        // Top-level cache_control (automatic caching): the breakpoint moves to the end of the conversation.
        MarkBreakpoint(meter, root, breakpoints);

        meter.AddOverhead(ReplyPriming);
        var (output, truncated) = OutputLength(meter.Mixed, maxTokens);
        long read = 0, write5m = 0, write1h = 0;
        if (breakpoints.Count > 0)
        {
            if (((meter.Mixed >> 32) & 1) == 1)
            {
                read = breakpoints[^1].At;
            }
            else
            {
                long previous = 0;
                foreach (var (at, oneHour) in breakpoints)
                {
                    var segment = Math.Max(0, at - previous);
                    previous = Math.Max(previous, at);
                    if (oneHour)
                    {
                        write1h += segment;
                    }
                    else
                    {
                        write5m += segment;
                    }
                }
            }
        }

        return new UsagePlan(meter.Tokens, read, write5m, write1h, output, Reasoning(model, output), truncated, meter.Mixed);
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

    public static TextMeter NewMeter(string model)
    {
        var meter = new TextMeter();
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

    private static UsagePlan OpenAIPlan(TextMeter meter, string model, long? maxTokens)
    {
        var (output, truncated) = OutputLength(meter.Mixed, maxTokens);
        return new UsagePlan(meter.Tokens, OpenAICached(meter.Tokens), 0, 0, output, Reasoning(model, output), truncated, meter.Mixed);
    }

    private static (long Output, bool Truncated) OutputLength(ulong hash, long? maxTokens)
    {
        var natural = MinOutput + (long)(hash % OutputSpread);
        return maxTokens is { } cap && cap < natural ? (cap, true) : (natural, false);
    }

    private static long Reasoning(string model, long output) => IsReasoningModel(model) ? output * 2 / 5 : 0;

    private static void MarkBreakpoint(TextMeter meter, JsonElement element, List<(long At, bool OneHour)> breakpoints)
    {
        if (element.Prop("cache_control"u8) is { ValueKind: JsonValueKind.Object } cacheControl)
        {
            var oneHour = cacheControl.StringProp("ttl"u8) == "1h";
            breakpoints.Add((meter.Tokens, oneHour));
        }
    }
}
