using TokenOps.Routing.Embeddings;
using TokenOps.Routing.Evaluation;
using TokenOps.Routing.Scoring;
using TokenOps.Routing.Training;
using Xunit;

namespace TokenOps.Routing.Tests.Training;

public class ScorerTrainerTests
{
    private static readonly WordPieceTokenizer Tokenizer = MiniLm.Tokenizer();

    // A random table stands in for the distilled MiniLM one (which takes a minute to build): what is tested is that the
    // embedding block, folded into one score per piece, still carries what the regression learned.
    private static readonly TokenEmbeddingTable Table = RandomTable();

    private static TokenEmbeddingTable RandomTable()
    {
        var rng = new Random(11);
        var vectors = new float[Tokenizer.VocabularySize * MiniLm.Dimensions];
        for (var i = 0; i < vectors.Length; i++) vectors[i] = (float)(rng.NextDouble() * 2 - 1);
        return TokenEmbeddingTable.FromVectors(vectors, Tokenizer.VocabularySize);
    }

    private static readonly string[] Animals = ["zebra", "giraffe", "elephant", "lion", "tiger", "monkey", "horse", "rabbit"];
    private static readonly string[] Things = ["table", "chair", "window", "door", "bottle", "pencil", "carpet", "mirror"];

    // Free-form questions that mention "zebra" need the strong model; the rest do not. Same length, same shape.
    private static List<LabelledPrompt> Prompts(int count, int seed)
    {
        var rng = new Random(seed);
        var prompts = new List<LabelledPrompt>();
        for (var i = 0; i < count; i++)
        {
            var hard = i % 2 == 0;
            var noun = hard ? "zebra" : Things[rng.Next(Things.Length)];
            var other = Animals[1 + rng.Next(Animals.Length - 1)];
            prompts.Add(new LabelledPrompt($"Tell me about the {noun} and the {other} today.", "toy", WeakCorrect: !hard, StrongCorrect: true));
            // Multiple-choice rows so that both heads train.
            prompts.Add(new LabelledPrompt($"Which is a {other}?\nA. {noun}\nB. {other}\nAnswer:", "mc", WeakCorrect: true, StrongCorrect: true));
        }
        return prompts;
    }

    private static ScorerWeights Train(IReadOnlyList<LabelledPrompt> prompts, TrainerOptions options)
    {
        var set = TrainingSet.Build(prompts, Tokenizer, Table, options.MaxPieces);
        var meta = new ScorerTraining { Command = "test", Files = [], Rows = prompts.Count, Seed = 1, Label = "soft gain", Settings = options.AsSettings() };
        return ScorerTrainer.Train(set, Enumerable.Range(0, prompts.Count).ToArray(), options, Table, meta);
    }

    [Fact]
    public void The_folded_embedding_ranks_unseen_prompts_by_what_was_learned()
    {
        var options = new TrainerOptions { EmbeddingL2 = 0.01, FreeFormEmbeddingL2 = 0.01, Steps = 300 };
        var scorer = StrongScorer.FromWeights(Train(Prompts(60, seed: 1), options), Tokenizer);
        var test = Prompts(40, seed: 2).Where(p => p.Domain == "toy").ToList();
        var scores = test.Select(p => scorer.Score(RoutePrompt.FromText(p.Text)).StrongScore).ToArray();
        // Half the prompts gain: a perfect ranking recovers the gap by half-way, APGR 0.75.
        var apgr = RoutingCurve.Build(scores, test).Apgr();
        Assert.True(apgr > 0.74, $"APGR {apgr}");
        Assert.Contains("embedding: hard", scorer.Score(RoutePrompt.FromText("Tell me about the zebra and the lion today.")).Reasons);
    }

    [Fact]
    public void Without_the_embedding_the_same_prompts_cannot_be_told_apart()
    {
        var options = new TrainerOptions { UseEmbedding = false, Steps = 300 };
        var weights = Train(Prompts(60, seed: 1), options);
        Assert.All(weights.Heads, h => Assert.Equal("", h.PieceScores));
    }

    [Fact]
    public void Training_is_deterministic()
    {
        var options = new TrainerOptions { Steps = 50 };
        var prompts = Prompts(30, seed: 3);
        Assert.Equal(Train(prompts, options).ToJson(), Train(prompts, options).ToJson());
    }

    [Fact]
    public void A_weights_file_for_other_features_is_refused()
    {
        var weights = Train(Prompts(10, seed: 4), new TrainerOptions { Steps = 10 });
        var stale = new ScorerWeights
        {
            Description = weights.Description, Training = weights.Training, Features = [.. weights.Features.Reverse()],
            MaxPieces = weights.MaxPieces, VocabularySize = weights.VocabularySize, Heads = weights.Heads,
        };
        Assert.Throws<InvalidDataException>(() => StrongScorer.FromWeights(stale, Tokenizer));
    }
}
