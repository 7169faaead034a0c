using System.Text.Json;

namespace TokenOps.Core.Pricing;

/// <summary>
/// Reads a LiteLLM <c>tiered_pricing</c> array (dashscope, volcengine). Elements keyed by a token <c>range</c> become
/// whole-request tiers; elements keyed otherwise (e.g. <c>max_results_range</c> of search tools) are ignored.
/// </summary>
internal static class TieredPricingReader
{
    public static void Read(ref Utf8JsonReader reader, ModelPriceBuilder b)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            reader.Skip();
            return;
        }

        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                reader.Skip();
                continue;
            }

            ReadElement(ref reader, b);
        }
    }

    private static void ReadElement(ref Utf8JsonReader reader, ModelPriceBuilder b)
    {
        long? from = null;
        var rates = new LongContextTier(0);
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var field = reader.GetString()!;
            reader.Read();
            switch (field)
            {
                case "range": from = ReadRangeStart(ref reader); break;
                case "input_cost_per_token": rates = rates with { Input = Rate(ref reader, b, field) }; break;
                case "output_cost_per_token": rates = rates with { Output = Rate(ref reader, b, field) }; break;
                case "output_cost_per_reasoning_token": rates = rates with { Reasoning = Rate(ref reader, b, field) }; break;
                case "cache_read_input_token_cost": rates = rates with { CacheRead = Rate(ref reader, b, field) }; break;
                case "cache_creation_input_token_cost": rates = rates with { CacheWrite5m = Rate(ref reader, b, field) }; break;
                default: reader.Skip(); break;
            }
        }

        if (from is { } start)
        {
            b.AddTieredPricing(start, rates);
        }
    }

    private static decimal? Rate(ref Utf8JsonReader reader, ModelPriceBuilder b, string field) =>
        LiteLlmCatalogReader.ReadRate(ref reader, b.Model, $"tiered_pricing.{field}");

    private static long? ReadRangeStart(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            reader.Skip();
            return null;
        }

        reader.Read();
        var start = LiteLlmCatalogReader.ReadCount(ref reader);
        while (reader.TokenType != JsonTokenType.EndArray)
        {
            reader.Read();
        }

        return start;
    }
}
