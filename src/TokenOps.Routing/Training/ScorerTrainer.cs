using TokenOps.Routing.Embeddings;
using TokenOps.Routing.Scoring;

namespace TokenOps.Routing.Training;

/// <summary>
/// Fits the scorer on some rows of a <see cref="TrainingSet"/>. The label is the expected gain of the strong model,
/// as a soft target: 1 when only the strong model answered right, 0 when only the weak one did, ½ when they agree
/// (both right or both wrong). The fitted probability is then (1 + E[gain])/2, and ranking prompts by it is ranking
/// them by what a strong call recovers, which is what APGR rewards. The embedding block is folded into one score per
/// vocabulary piece.
/// </summary>
public static class ScorerTrainer
{
    public static ScorerWeights Train(TrainingSet set, IReadOnlyList<int> rows, TrainerOptions options, TokenEmbeddingTable table, ScorerTraining training)
    {
        var multipleChoice = rows.Where(i => set.Features[i][PromptFeatures.HasOptions] > 0).ToArray();
        var freeForm = rows.Where(i => set.Features[i][PromptFeatures.HasOptions] <= 0).ToArray();
        if (multipleChoice.Length == 0 && freeForm.Length == 0) throw new InvalidOperationException("no training rows");
        // A format with no rows of its own (GSM8K held out leaves no free-form question) is scored by a head trained on
        // the other format's rows.
        if (multipleChoice.Length == 0) multipleChoice = freeForm;
        if (freeForm.Length == 0) freeForm = multipleChoice;
        return new ScorerWeights
        {
            Description = "TokenOps routing scorer: per question format, a logistic regression over cheap prompt features and static MiniLM (all-MiniLM-L6-v2) word-piece embeddings; see docs/ROUTING.md",
            Training = training,
            Features = PromptFeatures.Names,
            MaxPieces = options.MaxPieces,
            VocabularySize = table.Pieces,
            Heads =
            [
                TrainHead(ScorerHead.MultipleChoice, set, multipleChoice, options.FeatureL2, options.UseEmbedding ? options.EmbeddingL2 : null, options.DomainBalance, options, table),
                TrainHead(ScorerHead.FreeForm, set, freeForm, options.FreeFormFeatureL2, options.UseEmbedding ? options.FreeFormEmbeddingL2 : null, options.DomainBalance, options, table),
            ],
        };
    }

    private static ScorerHead TrainHead(string name, TrainingSet set, IReadOnlyList<int> rows, double featureL2, double? embeddingL2, double balance, TrainerOptions options, TokenEmbeddingTable table)
    {
        var f = PromptFeatures.Count;
        var e = embeddingL2 is null ? 0 : MiniLm.Dimensions;
        var (means, scales) = Standardise(rows, i => set.Features[i], f);
        var (embMeans, embScales) = e > 0 ? Standardise(rows, i => set.Embeddings[i], e) : ([], []);

        var matrix = new float[rows.Count][];
        var targets = new double[rows.Count];
        var weights = new double[rows.Count];
        var domainSizes = rows.GroupBy(i => set.Prompts[i].Domain).ToDictionary(g => g.Key, g => g.Count());
        for (var r = 0; r < rows.Count; r++)
        {
            var i = rows[r];
            var row = new float[f + e];
            for (var j = 0; j < f; j++) row[j] = (float)ScorerHead.Standardise(set.Features[i][j], means[j], scales[j]);
            for (var j = 0; j < e; j++) row[f + j] = (float)((set.Embeddings[i][j] - embMeans[j]) / embScales[j]);
            matrix[r] = row;
            targets[r] = (1 + set.Prompts[i].Gain) / 2.0;
            weights[r] = Math.Pow(domainSizes[set.Prompts[i].Domain], -balance);
        }
        var l2 = new double[f + e];
        for (var j = 0; j < f + e; j++) l2[j] = j < f ? featureL2 : embeddingL2!.Value;
        var model = LogisticRegression.Fit(matrix, targets, weights, l2, options.Steps, options.Rate);

        // Fold: Σ_j w_j (mean_t E[t,j] − μ_j)/σ_j = mean_t (Σ_j w_j E[t,j]/σ_j) − Σ_j w_j μ_j/σ_j.
        var pieceScores = "";
        double offset = 0;
        if (e > 0)
        {
            var folded = new double[e];
            for (var j = 0; j < e; j++)
            {
                folded[j] = model.Weights[f + j] / embScales[j];
                offset += folded[j] * embMeans[j];
            }
            var scores = new float[table.Pieces];
            for (var t = 0; t < table.Pieces; t++)
            {
                var v = table.Vector(t);
                double s = 0;
                for (var j = 0; j < e; j++) s += folded[j] * v[j];
                scores[t] = (float)s;
            }
            pieceScores = ScorerHead.EncodePieceScores(scores);
        }
        return new ScorerHead
        {
            Name = name, Rows = rows.Count, Means = means, Scales = scales, Weights = model.Weights[..f], Bias = model.Bias,
            PieceOffset = offset, PieceScores = pieceScores,
        };
    }

    private static (double[] Means, double[] Scales) Standardise<T>(IReadOnlyList<int> rows, Func<int, T[]> column, int width) where T : struct, IConvertible
    {
        var means = new double[width];
        var scales = new double[width];
        foreach (var i in rows)
        {
            var v = column(i);
            for (var j = 0; j < width; j++) means[j] += Convert.ToDouble(v[j]);
        }
        for (var j = 0; j < width; j++) means[j] /= rows.Count;
        foreach (var i in rows)
        {
            var v = column(i);
            for (var j = 0; j < width; j++) { var d = Convert.ToDouble(v[j]) - means[j]; scales[j] += d * d; }
        }
        // A constant column keeps scale 1: its weight stays 0 and nothing divides by zero.
        for (var j = 0; j < width; j++) scales[j] = scales[j] > 1e-12 ? Math.Sqrt(scales[j] / rows.Count) : 1;
        return (means, scales);
    }
}
