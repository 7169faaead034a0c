using TokenOps.Routing.Embeddings;
using TokenOps.Routing.Scoring;

namespace TokenOps.Routing.Training;

/// <summary>
/// Honest held-out scores: every prompt is scored by a scorer that never saw its domain. Each MMLU domain is scored by
/// a scorer trained on all the other rows (the other MMLU domains and GSM8K). GSM8K has one domain, so it is scored in
/// <see cref="GsmFolds"/> folds (a seeded shuffle): each fold by a scorer trained on all of MMLU and the other folds.
/// The scores go through the same folded weights and code path the gateway uses.
/// </summary>
public static class LeaveDomainOut
{
    public const int GsmFolds = 5;

    /// <summary>Held-out learned logits, one per prompt of the set. <paramref name="gsmHeldOut"/> trains the GSM8K
    /// scorers without any GSM8K row instead of k-fold.</summary>
    public static double[] Scores(TrainingSet set, TrainerOptions options, TokenEmbeddingTable table, WordPieceTokenizer tokenizer, int seed, bool gsmHeldOut = false, Action<string>? progress = null)
    {
        var scores = new double[set.Prompts.Count];
        var folds = new List<(string Name, int[] Test)>();
        foreach (var domain in set.Prompts.Select(p => p.Domain).Distinct().Order(StringComparer.Ordinal))
        {
            var rows = Enumerable.Range(0, set.Prompts.Count).Where(i => set.Prompts[i].Domain == domain).ToArray();
            if (domain == "gsm8k" && !gsmHeldOut)
            {
                var shuffled = rows.ToArray();
                new Random(seed).Shuffle(shuffled);
                for (var k = 0; k < GsmFolds; k++) folds.Add(($"gsm8k fold {k + 1}/{GsmFolds}", shuffled.Where((_, n) => n % GsmFolds == k).ToArray()));
            }
            else folds.Add((domain, rows));
        }
        var done = 0;
        Parallel.ForEach(folds, new ParallelOptions { MaxDegreeOfParallelism = 2 }, fold =>
        {
            var test = fold.Test.ToHashSet();
            var train = Enumerable.Range(0, set.Prompts.Count).Where(i => !test.Contains(i)).ToArray();
            var meta = new ScorerTraining { Command = "leave-domain-out", Files = [], Rows = train.Length, Seed = seed, Label = "soft gain", Settings = options.AsSettings() };
            var scorer = StrongScorer.FromWeights(ScorerTrainer.Train(set, train, options, table, meta), tokenizer);
            foreach (var i in fold.Test) scores[i] = scorer.LearnedLogit(set.Prompts[i].Text);
            var n = Interlocked.Increment(ref done);
            progress?.Invoke($"held out {fold.Name} ({n}/{folds.Count})");
        });
        return scores;
    }
}
