namespace TokenOps.Core.Waste;

/// <summary>
/// A group's norm as median and scaled median absolute deviation (MAD x 1.4826, the standard deviation for normal data),
/// which a minority of outliers cannot drag: the outliers are what the detectors look for.
/// </summary>
public readonly record struct RobustNorm(double Median, double Scale)
{
    /// <summary>The smallest scale used, so that a group of identical values does not make every small change an outlier.</summary>
    public const double MinScale = 0.05;

    public static RobustNorm Of(List<double> values)
    {
        if (values.Count == 0) return new RobustNorm(0, MinScale);
        var sorted = values.ToArray();
        Array.Sort(sorted);
        var median = MedianOf(sorted);
        var deviations = new double[sorted.Length];
        for (var i = 0; i < sorted.Length; i++) deviations[i] = Math.Abs(sorted[i] - median);
        Array.Sort(deviations);
        return new RobustNorm(median, Math.Max(MinScale, MedianOf(deviations) * 1.4826));
    }

    /// <summary>How many scales above the median.</summary>
    public double Z(double value) => (value - Median) / Scale;

    private static double MedianOf(double[] sorted) =>
        sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
}
