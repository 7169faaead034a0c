namespace TokenOps.Routing.Similarity;

/// <summary>Confusion counts of a matcher over labelled pairs; "positive" means "served from cache".</summary>
public sealed record Confusion(int TruePositive, int FalsePositive, int TrueNegative, int FalseNegative)
{
    public int Total => TruePositive + FalsePositive + TrueNegative + FalseNegative;

    /// <summary>Of the answers the cache would serve, the share that were right (1 when it serves none).</summary>
    public double Precision => TruePositive + FalsePositive == 0 ? 1 : (double)TruePositive / (TruePositive + FalsePositive);

    public double Recall => TruePositive + FalseNegative == 0 ? 0 : (double)TruePositive / (TruePositive + FalseNegative);

    public double F1 => Precision + Recall == 0 ? 0 : 2 * Precision * Recall / (Precision + Recall);

    public Confusion Add(bool actual, bool predicted) => (actual, predicted) switch
    {
        (true, true) => this with { TruePositive = TruePositive + 1 },
        (false, true) => this with { FalsePositive = FalsePositive + 1 },
        (false, false) => this with { TrueNegative = TrueNegative + 1 },
        _ => this with { FalseNegative = FalseNegative + 1 },
    };

    public static readonly Confusion Empty = new(0, 0, 0, 0);
}

/// <summary>Scores any matcher on the labelled pairs: overall, per kind and on the held-out split.</summary>
public sealed record PairEvaluation(Confusion All, Confusion HeldOut, IReadOnlyDictionary<string, Confusion> ByKind)
{
    public static PairEvaluation Run(IEnumerable<LabelledPair> pairs, Func<string, string, bool> matches)
    {
        var all = Confusion.Empty;
        var heldOut = Confusion.Empty;
        var byKind = new SortedDictionary<string, Confusion>(StringComparer.Ordinal);
        foreach (var pair in pairs)
        {
            var predicted = matches(pair.A, pair.B);
            all = all.Add(pair.Same, predicted);
            if (pair.HeldOut) heldOut = heldOut.Add(pair.Same, predicted);
            byKind[pair.Kind] = byKind.GetValueOrDefault(pair.Kind, Confusion.Empty).Add(pair.Same, predicted);
        }
        return new PairEvaluation(all, heldOut, byKind);
    }
}
