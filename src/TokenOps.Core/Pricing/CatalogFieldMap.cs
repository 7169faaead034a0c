using System.Globalization;
using System.Text.Json;

namespace TokenOps.Core.Pricing;

/// <summary>Maps LiteLLM field names onto <see cref="ModelPriceBuilder"/>; unknown fields are left to the caller to skip.</summary>
internal static class CatalogFieldMap
{
    private const string PrioritySuffix = "_priority";
    private const string TokensSuffix = "_tokens";
    private const string Above = "_above_";

    private enum TierField { Input, Output, CacheRead, CacheWrite5m, CacheWrite1h }

    /// <returns>True when the field was recognised and its value consumed.</returns>
    public static bool TryApply(scoped ReadOnlySpan<char> field, ref Utf8JsonReader reader, ModelPriceBuilder b)
    {
        var m = b.Model;
        switch (field)
        {
            case "litellm_provider": b.Provider = LiteLlmCatalogReader.ReadText(ref reader); return true;
            case "mode": b.Mode = LiteLlmCatalogReader.ReadText(ref reader); return true;
            case "max_input_tokens": b.MaxInputTokens = LiteLlmCatalogReader.ReadCount(ref reader); return true;
            case "max_output_tokens": b.MaxOutputTokens = LiteLlmCatalogReader.ReadCount(ref reader); return true;
            case "prompt_cache_min_tokens": b.PromptCacheMinTokens = LiteLlmCatalogReader.ReadCount(ref reader); return true;
            case "input_cost_per_token": b.Input = Rate(ref reader, m, field); return true;
            case "output_cost_per_token": b.Output = Rate(ref reader, m, field); return true;
            case "cache_read_input_token_cost": b.CacheRead = Rate(ref reader, m, field); return true;
            case "input_cost_per_token_cache_hit": b.CacheHit = Rate(ref reader, m, field); return true;
            case "cache_creation_input_token_cost": b.CacheWrite5m = Rate(ref reader, m, field); return true;
            case "cache_creation_input_token_cost_above_1hr": b.CacheWrite1h = Rate(ref reader, m, field); return true;
            case "output_cost_per_reasoning_token": b.Reasoning = Rate(ref reader, m, field); return true;
            case "input_cost_per_token_batches": b.BatchInput = Rate(ref reader, m, field); return true;
            case "output_cost_per_token_batches": b.BatchOutput = Rate(ref reader, m, field); return true;
            case "input_cost_per_token_flex": b.InputFlex = Rate(ref reader, m, field); return true;
            case "output_cost_per_token_flex": b.OutputFlex = Rate(ref reader, m, field); return true;
            case "cache_read_input_token_cost_flex": b.CacheReadFlex = Rate(ref reader, m, field); return true;
            case "cache_creation_input_token_cost_flex": b.CacheWriteFlex = Rate(ref reader, m, field); return true;
            case "input_cost_per_token_priority": b.InputPriority = Rate(ref reader, m, field); return true;
            case "output_cost_per_token_priority": b.OutputPriority = Rate(ref reader, m, field); return true;
            case "cache_read_input_token_cost_priority": b.CacheReadPriority = Rate(ref reader, m, field); return true;
            case "cache_creation_input_token_cost_priority": b.CacheWritePriority = Rate(ref reader, m, field); return true;
            case "supports_function_calling": return Capability(ref reader, b, ModelCapabilities.Tools);
            case "supports_vision": return Capability(ref reader, b, ModelCapabilities.Images);
            case "supports_response_schema": return Capability(ref reader, b, ModelCapabilities.JsonSchema);
            case "supports_reasoning": return Capability(ref reader, b, ModelCapabilities.Reasoning);
            case "tiered_pricing": TieredPricingReader.Read(ref reader, b); return true;
            case "search_context_cost_per_query": b.WebSearchPerCall = SearchContextMedium(ref reader, m); return true;
            case "file_search_cost_per_1k_calls": b.FileSearchPerCall = Rate(ref reader, m, field) / 1000m; return true;
            case "input_cost_per_audio_token": b.InputAudio = Rate(ref reader, m, field); return true;
            case "output_cost_per_audio_token": b.OutputAudio = Rate(ref reader, m, field); return true;
            case "input_cost_per_image_token": b.InputImage = Rate(ref reader, m, field); return true;
            case "output_cost_per_image_token": b.OutputImage = Rate(ref reader, m, field); return true;
            case "input_cost_per_image": b.InputPerImage = Rate(ref reader, m, field); return true;
            case "output_cost_per_image": b.OutputPerImage = Rate(ref reader, m, field); return true;
            case "input_cost_per_pixel": b.InputPerPixel = Rate(ref reader, m, field); return true;
            case "input_cost_per_second": b.InputPerSecond = Rate(ref reader, m, field); return true;
            case "output_cost_per_second": b.OutputPerSecond = Rate(ref reader, m, field); return true;
            case "input_cost_per_character": b.PerCharacter = Rate(ref reader, m, field); return true;
            default: return TryApplyTierField(field, ref reader, b);
        }
    }

    /// <summary>A <c>supports_*</c> flag: true sets the capability; false, or anything else, leaves it unset (unknown is not supported).</summary>
    private static bool Capability(ref Utf8JsonReader reader, ModelPriceBuilder b, ModelCapabilities capability)
    {
        if (reader.TokenType == JsonTokenType.True) b.Capabilities |= capability;
        else if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray) reader.Skip();
        return true;
    }

    private static decimal? Rate(ref Utf8JsonReader reader, string model, scoped ReadOnlySpan<char> field) =>
        LiteLlmCatalogReader.ReadRate(ref reader, model, field);

    /// <summary>
    /// <c>{"search_context_size_low": …, "search_context_size_medium": …, "search_context_size_high": …}</c>: the medium
    /// price, the size both providers use when a request names none (the dearest one, if medium is missing).
    /// </summary>
    private static decimal? SearchContextMedium(ref Utf8JsonReader reader, string model)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
            return null;
        }
        decimal? medium = null, dearest = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isMedium = reader.ValueTextEquals("search_context_size_medium"u8);
            reader.Read();
            var rate = LiteLlmCatalogReader.ReadRate(ref reader, model, "search_context_cost_per_query");
            if (isMedium) medium = rate;
            if (rate > (dearest ?? -1m)) dearest = rate;
        }
        return medium ?? dearest;
    }

    /// <summary>
    /// <c>&lt;base&gt;_above_&lt;N&gt;[k]_tokens[_priority]</c>, splitting on the LAST <c>_above_</c> so that
    /// <c>cache_creation_input_token_cost_above_1hr_above_200k_tokens</c> is the 1-hour write rate of the 200k tier.
    /// Per-image/audio/character/video "above" fields are not token rates and are skipped.
    /// </summary>
    private static bool TryApplyTierField(scoped ReadOnlySpan<char> field, ref Utf8JsonReader reader, ModelPriceBuilder b)
    {
        if (!TryParseTierField(field, out var kind, out var threshold, out var priority))
        {
            return false;
        }

        var rate = Rate(ref reader, b.Model, field);
        switch (kind, priority)
        {
            case (TierField.Input, false): b.UpdateTier(threshold, t => t with { Input = rate }); return true;
            case (TierField.Output, false): b.UpdateTier(threshold, t => t with { Output = rate }); return true;
            case (TierField.CacheRead, false): b.UpdateTier(threshold, t => t with { CacheRead = rate }); return true;
            case (TierField.CacheWrite5m, false): b.UpdateTier(threshold, t => t with { CacheWrite5m = rate }); return true;
            case (TierField.CacheWrite1h, false): b.UpdateTier(threshold, t => t with { CacheWrite1h = rate }); return true;
            case (TierField.Input, true): b.UpdateTier(threshold, t => t with { InputPriority = rate }); return true;
            case (TierField.Output, true): b.UpdateTier(threshold, t => t with { OutputPriority = rate }); return true;
            case (TierField.CacheRead, true): b.UpdateTier(threshold, t => t with { CacheReadPriority = rate }); return true;
            default: return true; // a priority cache-write tier rate: not in the catalog, consumed and ignored
        }
    }

    private static bool TryParseTierField(ReadOnlySpan<char> field, out TierField kind, out long threshold, out bool priority)
    {
        kind = default;
        threshold = 0;
        priority = field.EndsWith(PrioritySuffix, StringComparison.Ordinal);
        if (priority)
        {
            field = field[..^PrioritySuffix.Length];
        }

        var at = field.LastIndexOf(Above, StringComparison.Ordinal);
        if (!field.EndsWith(TokensSuffix, StringComparison.Ordinal) || at < 0)
        {
            return false;
        }

        var amount = field[(at + Above.Length)..^TokensSuffix.Length];
        var thousands = amount.EndsWith('k');
        if (thousands)
        {
            amount = amount[..^1];
        }

        if (!long.TryParse(amount, NumberStyles.None, CultureInfo.InvariantCulture, out threshold))
        {
            return false;
        }

        threshold *= thousands ? 1000 : 1;
        TierField? parsed = field[..at] switch
        {
            "input_cost_per_token" => TierField.Input,
            "output_cost_per_token" => TierField.Output,
            "cache_read_input_token_cost" => TierField.CacheRead,
            "cache_creation_input_token_cost" => TierField.CacheWrite5m,
            "cache_creation_input_token_cost_above_1hr" => TierField.CacheWrite1h,
            _ => null,
        };
        kind = parsed.GetValueOrDefault();
        return parsed.HasValue;
    }
}
