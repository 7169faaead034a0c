namespace TokenOps.Gateway.Routing;

/// <summary>
/// How a strong score becomes a candidate. With a threshold, a request scoring at least it goes to the strongest
/// candidate that can serve it, and lower scores spread over the cheaper ones in proportion. With a strong share, the
/// threshold is the score that the given share of recent requests reached (a rolling window of this router's scores),
/// so the share holds whatever the scorer's scale; until the window has enough scores, the share's complement stands in.
/// </summary>
public sealed class QualityDial
{
    private QualityDial(double? threshold, double? strongShare)
    {
        Threshold = threshold;
        StrongShare = strongShare;
    }

    public double? Threshold { get; }
    public double? StrongShare { get; }

    public static QualityDial FixedThreshold(double threshold) => new(threshold, null);

    public static QualityDial Share(double strongShare) => new(null, strongShare);

    public string Describe() => Threshold is { } t ? $"threshold {t:0.###}" : $"strong share {StrongShare:0.###}";

    /// <summary>The index among <paramref name="count"/> eligible candidates (cheapest first) for a score.</summary>
    public int Pick(double score, int count, ScoreWindow window)
    {
        if (count <= 1) return 0;
        var threshold = Threshold ?? window.ScoreAtShare(StrongShare!.Value);
        if (score >= threshold) return count - 1;
        if (count == 2 || threshold <= 0) return 0;
        // Below the threshold, the cheaper candidates share the range [0, threshold) evenly.
        return Math.Min(count - 2, (int)(score / threshold * (count - 1)));
    }
}
