namespace TokenOps.Routing.Evaluation;

/// <summary>
/// RouteLLM's measures for one router on one set of labelled prompts. The router's scores rank the prompts; the share
/// c with the highest scores goes to the strong model. PGR(c) is the share of the weak-to-strong accuracy gap that
/// routing recovers; APGR is its mean over c from 0 to 1 (the exact area under the curve, every prompt a step);
/// CPT(x) is the smallest share of strong calls whose PGR reaches x. Prompts with equal scores are one group routed
/// together in random order, so the curve crosses a group on the straight line of its expected value: a router that
/// scores everything the same is random routing and gets exactly 0.5.
/// </summary>
public sealed class RoutingCurve
{
    // gains[k] = expected gain of sending the k best-scored prompts to the strong model (k = 0..n).
    private readonly double[] _gains;

    public int Count { get; }
    public double WeakAccuracy { get; }
    public double StrongAccuracy { get; }

    private RoutingCurve(double[] gains, int count, double weakAccuracy, double strongAccuracy)
    {
        _gains = gains;
        Count = count;
        WeakAccuracy = weakAccuracy;
        StrongAccuracy = strongAccuracy;
    }

    public static RoutingCurve Build(IReadOnlyList<double> scores, IReadOnlyList<LabelledPrompt> prompts)
    {
        ArgumentOutOfRangeException.ThrowIfNotEqual(scores.Count, prompts.Count, nameof(scores));
        var n = prompts.Count;
        if (n == 0) throw new ArgumentException("no prompts to evaluate", nameof(prompts));
        var order = Enumerable.Range(0, n).OrderByDescending(i => scores[i]).ToArray();
        var gains = new double[n + 1];
        var start = 0;
        while (start < n)
        {
            var end = start + 1;
            while (end < n && scores[order[end]] == scores[order[start]]) end++;
            double groupGain = 0;
            for (var k = start; k < end; k++) groupGain += prompts[order[k]].Gain;
            // Within a tie group each routed prompt gains the group's mean, in expectation.
            var each = groupGain / (end - start);
            for (var k = start; k < end; k++) gains[k + 1] = gains[k] + each;
            start = end;
        }
        return new RoutingCurve(gains, n, prompts.Count(p => p.WeakCorrect) / (double)n, prompts.Count(p => p.StrongCorrect) / (double)n);
    }

    private double Gap => (StrongAccuracy - WeakAccuracy) * Count;

    /// <summary>Accuracy with the given share of prompts (0..1) sent to the strong model.</summary>
    public double Accuracy(double share) => WeakAccuracy + GainAt(share) / Count;

    /// <summary>PGR at a share of strong calls (0..1). NaN when the strong model is no better than the weak one.</summary>
    public double Pgr(double share) => Gap <= 0 ? double.NaN : GainAt(share) / Gap;

    /// <summary>The area under PGR over shares 0..1.</summary>
    public double Apgr()
    {
        if (Gap <= 0) return double.NaN;
        double area = 0;
        for (var k = 0; k < Count; k++) area += (_gains[k] + _gains[k + 1]) / 2;
        return area / Count / Gap;
    }

    /// <summary>The smallest share of strong calls (0..1) whose PGR reaches <paramref name="target"/> (0.5 for CPT(50%)).</summary>
    public double Cpt(double target)
    {
        if (Gap <= 0) return double.NaN;
        var needed = target * Gap;
        for (var k = 1; k <= Count; k++)
        {
            if (_gains[k] < needed - 1e-9) continue;
            // The curve is straight between steps: find where it crosses.
            var step = _gains[k] - _gains[k - 1];
            var within = step > 0 ? Math.Clamp((needed - _gains[k - 1]) / step, 0, 1) : 1;
            return (k - 1 + within) / Count;
        }
        return 1;
    }

    private double GainAt(double share)
    {
        var position = Math.Clamp(share, 0, 1) * Count;
        var k = (int)Math.Floor(position);
        if (k >= Count) return _gains[Count];
        return _gains[k] + (position - k) * (_gains[k + 1] - _gains[k]);
    }
}
