using System.Globalization;
using System.Text.Json;

namespace TokenOps.Core.Pricing;

/// <summary>
/// Reads LiteLLM's <c>model_prices_and_context_window.json</c> with one forward pass of <see cref="Utf8JsonReader"/>.
/// Only per-token text prices are kept; per-image/audio/second/query prices and capability flags are skipped.
/// <c>sample_spec</c> and <c>fallback_generalizations</c> are not models.
/// </summary>
internal static class LiteLlmCatalogReader
{
    private const int MaxFieldName = 128;

    public static Dictionary<string, ModelPrice> Read(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json, new JsonReaderOptions
        {
            CommentHandling = JsonCommentHandling.Skip,
            AllowTrailingCommas = true,
        });
        var models = new Dictionary<string, ModelPrice>(4096, StringComparer.Ordinal);
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                throw new PriceCatalogException("Pricing catalog: the root must be a JSON object of model entries.");
            }

            Span<char> name = stackalloc char[MaxFieldName];
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var key = reader.GetString()!;
                reader.Read();
                if (key is "sample_spec" or "fallback_generalizations" || reader.TokenType != JsonTokenType.StartObject)
                {
                    reader.Skip();
                    continue;
                }

                var builder = new ModelPriceBuilder(key);
                ReadEntry(ref reader, builder, name);
                models[key] = builder.Build(); // a duplicated key keeps its last entry, as Python's json does
            }
        }
        catch (JsonException ex)
        {
            throw new PriceCatalogException($"Pricing catalog is not valid JSON: {ex.Message}", ex);
        }

        return models;
    }

    private static void ReadEntry(ref Utf8JsonReader reader, ModelPriceBuilder builder, scoped Span<char> nameBuffer)
    {
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            ReadOnlySpan<char> field = reader.ValueSpan.Length <= nameBuffer.Length
                ? nameBuffer[..reader.CopyString(nameBuffer)]
                : reader.GetString().AsSpan();
            reader.Read();
            if (!CatalogFieldMap.TryApply(field, ref reader, builder))
            {
                reader.Skip();
            }
        }
    }

    /// <summary>A money field: null stays null; anything else must be a non-negative JSON number (exponents allowed).</summary>
    public static decimal? ReadRate(ref Utf8JsonReader reader, string model, scoped ReadOnlySpan<char> field)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return null;
        }

        if (reader.TokenType != JsonTokenType.Number || !TryGetDecimal(ref reader, out var value))
        {
            throw new PriceCatalogException($"Pricing catalog: model '{model}' field '{field}' must be a number, found {reader.TokenType}.");
        }

        if (value < 0)
        {
            throw new PriceCatalogException($"Pricing catalog: model '{model}' field '{field}' is negative ({value.ToString(CultureInfo.InvariantCulture)}).");
        }

        return value;
    }

    /// <summary>An informational count: a whole JSON number, else ignored (null).</summary>
    public static long? ReadCount(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.Number)
        {
            return null;
        }

        if (reader.TryGetInt64(out var whole))
        {
            return whole;
        }

        return TryGetDecimal(ref reader, out var value) && value == decimal.Truncate(value) && value is >= 0 and <= long.MaxValue
            ? (long)value
            : null;
    }

    public static string? ReadText(ref Utf8JsonReader reader) =>
        reader.TokenType == JsonTokenType.String ? reader.GetString() : null;

    /// <remarks>
    /// <see cref="Utf8JsonReader.TryGetDecimal"/> accepts exponent forms (<c>2.5e-06</c>, <c>1E-5</c>) exactly; it only
    /// fails on magnitudes beyond decimal's range, which no price has.
    /// </remarks>
    private static bool TryGetDecimal(ref Utf8JsonReader reader, out decimal value) => reader.TryGetDecimal(out value);
}
