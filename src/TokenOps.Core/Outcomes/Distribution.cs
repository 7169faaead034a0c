namespace TokenOps.Core.Outcomes;

/// <summary>
/// A distribution of dollar amounts (cost per outcome): count, total, mean, median, quartiles, p90, min and max.
/// Percentiles interpolate linearly between the two nearest ranks (rank = p × (n − 1), the "type 7" definition used by
/// Excel PERCENTILE.INC and numpy). Empty: every figure is 0 and <see cref="Count"/> is 0. Figures are rounded to the nano-dollar.
/// </summary>
public sealed record Distribution(int Count, decimal Total, decimal Mean, decimal Median, decimal P25, decimal P75, decimal P90, decimal Min, decimal Max)
{
    public static readonly Distribution Empty = new(0, 0, 0, 0, 0, 0, 0, 0, 0);

    public static Distribution Of(IEnumerable<decimal> values)
    {
        var sorted = values.ToArray();
        if (sorted.Length == 0) return Empty;
        Array.Sort(sorted);
        var total = sorted.Sum();
        return new Distribution(sorted.Length, total, Round(total / sorted.Length), Round(Percentile(sorted, 0.5m)),
            Round(Percentile(sorted, 0.25m)), Round(Percentile(sorted, 0.75m)), Round(Percentile(sorted, 0.9m)), sorted[0], sorted[^1]);
    }

    /// <summary>Linear interpolation between closest ranks on a sorted array; p in [0, 1].</summary>
    public static decimal Percentile(IReadOnlyList<decimal> sorted, decimal p)
    {
        if (sorted.Count == 0) throw new ArgumentException("No values.", nameof(sorted));
        if (p is < 0 or > 1) throw new ArgumentOutOfRangeException(nameof(p));
        var rank = p * (sorted.Count - 1);
        var lo = (int)decimal.Floor(rank);
        var hi = (int)decimal.Ceiling(rank);
        return sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo);
    }

    private static decimal Round(decimal usd) => decimal.Round(usd, 9, MidpointRounding.AwayFromZero);
}
