using System.Globalization;
using TokenOps.Core.Pricing;

namespace TokenOps.Core.Forecasting;

/// <summary>
/// Price classes for LLMflation: last year's capability gets cheaper fast (roughly 10x a year for equal performance),
/// while the frontier holds its price because each new frontier model resets the price clock.
/// </summary>
public enum PriceTier
{
    Frontier,
    Mid,
    Small,
}

/// <summary>Which price class a model is in: a configured mapping first, else its catalog output price.</summary>
public static class PriceTiers
{
    /// <summary>Output at or above this (USD per million tokens) is frontier-priced: Opus, Sonnet, GPT-4o, GPT-5, o1.</summary>
    public const decimal FrontierFromPerMTok = 10m;

    /// <summary>Output at or above this (and below frontier) is mid: Haiku, GPT-4.1, o4-mini, GPT-5 mini. Below it, small.</summary>
    public const decimal MidFromPerMTok = 1m;

    public static PriceTier Of(string model, PriceCatalog? catalog, IReadOnlyDictionary<string, PriceTier>? mapping = null)
    {
        if (mapping is not null && mapping.TryGetValue(model, out var mapped)) return mapped;
        if (catalog is null || !catalog.TryGet(model, out var price) || price.Output is not { } output) return PriceTier.Mid;
        var perMTok = output * 1_000_000m;
        return perMTok >= FrontierFromPerMTok ? PriceTier.Frontier : perMTok >= MidFromPerMTok ? PriceTier.Mid : PriceTier.Small;
    }

    public static bool TryParse(string? text, out PriceTier tier) =>
        Enum.TryParse(text, ignoreCase: true, out tier) && Enum.IsDefined(tier) && !int.TryParse(text, out _);
}

/// <summary>
/// The assumptions of a growth projection: volume multiplied by <see cref="Growth"/> over <see cref="HorizonMonths"/>
/// (compounded monthly, so month H is exactly Growth times today's volume), and each tier's price divided by its
/// yearly decline factor, compounded monthly (10x/yr: a month is 10^(1/12) cheaper than the one before).
/// </summary>
public sealed record GrowthAssumptions(decimal Growth, int HorizonMonths, IReadOnlyDictionary<PriceTier, decimal> DeclinePerYear)
{
    /// <summary>Frontier held (1x), mid and small falling by <paramref name="decline"/> a year.</summary>
    public static IReadOnlyDictionary<PriceTier, decimal> Default(decimal decline) => new Dictionary<PriceTier, decimal>
    {
        [PriceTier.Frontier] = 1m, [PriceTier.Mid] = decline, [PriceTier.Small] = decline,
    };

    /// <summary>Volume in month m (1-based) as a multiple of today's.</summary>
    public decimal VolumeFactor(int month) => (decimal)Math.Pow((double)Growth, (double)month / HorizonMonths);

    /// <summary>A tier's price in month m as a multiple of today's.</summary>
    public decimal PriceFactor(PriceTier tier, int month) => (decimal)Math.Pow((double)DeclinePerYear.GetValueOrDefault(tier, 1m), -month / 12.0);

    /// <summary>"10x", "10", "2.5x": a positive multiple.</summary>
    public static bool TryParseMultiple(string? text, out decimal multiple)
    {
        var t = (text ?? "").Trim().ToLowerInvariant().TrimEnd('x');
        return decimal.TryParse(t, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out multiple) && multiple is > 0m and <= 1_000_000m;
    }

    /// <summary>"12m", "12", "2y": whole months, 1 to 120.</summary>
    public static bool TryParseHorizon(string? text, out int months)
    {
        var t = (text ?? "").Trim().ToLowerInvariant();
        var years = t.EndsWith('y');
        if (years || t.EndsWith('m')) t = t[..^1];
        months = 0;
        if (!int.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out var n)) return false;
        months = years ? n * 12 : n;
        return months is >= 1 and <= 120;
    }

    /// <summary>"10x/yr" (prices fall tenfold a year), "10x", "60%/yr" (prices fall by 60 % a year: 2.5x), "1x" (held).</summary>
    public static bool TryParseDecline(string? text, out decimal perYear)
    {
        perYear = 0m;
        var t = (text ?? "").Trim().ToLowerInvariant();
        foreach (var suffix in new[] { "/yr", "/year", "/y" })
            if (t.EndsWith(suffix, StringComparison.Ordinal)) t = t[..^suffix.Length];
        if (t.EndsWith('%'))
        {
            if (!decimal.TryParse(t[..^1], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var percent) || percent is < 0m or >= 100m) return false;
            perYear = 1m / (1m - percent / 100m);
            return true;
        }
        return TryParseMultiple(t, out perYear);
    }
}

/// <summary>Today's monthly spend of one team on one model: the starting point of a projection.</summary>
public sealed record BaselineSpend(string Team, string Model, decimal MonthlyUsd);

/// <summary>One team and model, month by month (index 0 is month 1).</summary>
public sealed record GrowthLine(string Team, string Model, PriceTier Tier, decimal BaselineUsd, IReadOnlyList<decimal> MonthlyUsd)
{
    public decimal TotalUsd => MonthlyUsd.Sum();
}

/// <summary>A projection: every line, and the organisation's total per month.</summary>
public sealed record GrowthProjection(GrowthAssumptions Assumptions, IReadOnlyList<GrowthLine> Lines, IReadOnlyList<decimal> MonthlyTotalUsd)
{
    public decimal BaselineUsd => Lines.Sum(l => l.BaselineUsd);
    public decimal TotalUsd => MonthlyTotalUsd.Sum();

    /// <summary>Cost of month m for a team and model = today's monthly cost × volume factor × its tier's price factor.</summary>
    public static GrowthProjection Project(IEnumerable<BaselineSpend> baseline, GrowthAssumptions a, Func<string, PriceTier> tierOf)
    {
        var lines = baseline.Select(b =>
        {
            var tier = tierOf(b.Model);
            var months = Enumerable.Range(1, a.HorizonMonths).Select(m => b.MonthlyUsd * a.VolumeFactor(m) * a.PriceFactor(tier, m)).ToList();
            return new GrowthLine(b.Team, b.Model, tier, b.MonthlyUsd, months);
        }).OrderBy(l => l.Team, StringComparer.Ordinal).ThenByDescending(l => l.BaselineUsd).ThenBy(l => l.Model, StringComparer.Ordinal).ToList();
        var totals = Enumerable.Range(0, a.HorizonMonths).Select(i => lines.Sum(l => l.MonthlyUsd[i])).ToList();
        return new GrowthProjection(a, lines, totals);
    }
}
