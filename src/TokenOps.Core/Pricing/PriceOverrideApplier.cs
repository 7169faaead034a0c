using System.Globalization;

namespace TokenOps.Core.Pricing;

/// <summary>Overlays operator <see cref="PriceOverride"/>s onto catalog entries, or adds them as new models.</summary>
internal static class PriceOverrideApplier
{
    private const decimal TokensPerMillion = 1_000_000m;
    private const string CustomProvider = "custom";

    public static void Apply(Dictionary<string, ModelPrice> models, IReadOnlyDictionary<string, PriceOverride> overrides)
    {
        foreach (var (model, ov) in overrides)
        {
            if (string.IsNullOrWhiteSpace(model))
            {
                throw new PriceCatalogException("Price override: the model name must not be empty.");
            }

            if (ov is null)
            {
                throw new PriceCatalogException($"Price override for model '{model}' is null.");
            }

            Validate(model, ov);
            models[model] = models.TryGetValue(model, out var existing) ? Overlay(existing, ov) : Create(model, ov);
        }
    }

    private static ModelPrice Overlay(ModelPrice p, PriceOverride o)
    {
        var output = PerToken(o.OutputPerMTok) ?? p.Output;

        // A catalog reasoning rate equal to the output rate means "reasoning is output": it follows an overridden output.
        var reasoning = PerToken(o.ReasoningPerMTok) ?? (p.Reasoning == p.Output ? output : p.Reasoning);
        return p with
        {
            Provider = o.Provider ?? p.Provider,
            Mode = o.Mode ?? p.Mode,
            MaxOutputTokens = o.MaxOutputTokens ?? p.MaxOutputTokens,
            Input = PerToken(o.InputPerMTok) ?? p.Input,
            Output = output,
            CacheRead = PerToken(o.CacheReadPerMTok) ?? p.CacheRead,
            CacheWrite5m = PerToken(o.CacheWrite5mPerMTok) ?? p.CacheWrite5m,
            CacheWrite1h = PerToken(o.CacheWrite1hPerMTok) ?? p.CacheWrite1h,
            Reasoning = reasoning,
            BatchInput = PerToken(o.BatchInputPerMTok) ?? p.BatchInput,
            BatchOutput = PerToken(o.BatchOutputPerMTok) ?? p.BatchOutput,
        };
    }

    private static ModelPrice Create(string model, PriceOverride o)
    {
        if (o.InputPerMTok is null || o.OutputPerMTok is null)
        {
            var missing = o.InputPerMTok is null ? nameof(PriceOverride.InputPerMTok) : nameof(PriceOverride.OutputPerMTok);
            throw new PriceCatalogException(
                $"Price override for model '{model}': the model is not in the catalog, so {missing} is required (both InputPerMTok and OutputPerMTok must be set for a new model).");
        }

        return Overlay(new ModelPrice { Model = model, Provider = CustomProvider, Mode = "chat" }, o);
    }

    private static void Validate(string model, PriceOverride o)
    {
        Check(model, nameof(o.InputPerMTok), o.InputPerMTok);
        Check(model, nameof(o.OutputPerMTok), o.OutputPerMTok);
        Check(model, nameof(o.CacheReadPerMTok), o.CacheReadPerMTok);
        Check(model, nameof(o.CacheWrite5mPerMTok), o.CacheWrite5mPerMTok);
        Check(model, nameof(o.CacheWrite1hPerMTok), o.CacheWrite1hPerMTok);
        Check(model, nameof(o.ReasoningPerMTok), o.ReasoningPerMTok);
        Check(model, nameof(o.BatchInputPerMTok), o.BatchInputPerMTok);
        Check(model, nameof(o.BatchOutputPerMTok), o.BatchOutputPerMTok);
        if (o.MaxOutputTokens is < 0)
        {
            throw new PriceCatalogException($"Price override for model '{model}': MaxOutputTokens must not be negative.");
        }
    }

    private static void Check(string model, string field, decimal? value)
    {
        if (value is < 0)
        {
            throw new PriceCatalogException(
                $"Price override for model '{model}': {field} must not be negative ({value.Value.ToString(CultureInfo.InvariantCulture)}).");
        }
    }

    private static decimal? PerToken(decimal? perMillion) => perMillion / TokensPerMillion;
}
