using TokenOps.Routing.Embeddings;
using TokenOps.Routing.Evaluation;
using TokenOps.Routing.Scoring;

namespace TokenOps.Routing.Training;

/// <summary>The labelled prompts with their features computed once: the cheap features and the static MiniLM
/// embedding of each question's first word-pieces, exactly as the scorer computes them at run time.</summary>
public sealed class TrainingSet
{
    public required IReadOnlyList<LabelledPrompt> Prompts { get; init; }
    public required double[][] Features { get; init; }
    public required float[][] Embeddings { get; init; }
    public required int MaxPieces { get; init; }

    public static TrainingSet Build(IReadOnlyList<LabelledPrompt> prompts, WordPieceTokenizer tokenizer, TokenEmbeddingTable table, int maxPieces)
    {
        var features = new double[prompts.Count][];
        var embeddings = new float[prompts.Count][];
        Parallel.For(0, prompts.Count, new ParallelOptions { MaxDegreeOfParallelism = 2 }, i =>
        {
            var text = prompts[i].Text;
            features[i] = new double[PromptFeatures.Count];
            PromptFeatures.Extract(text, features[i]);
            var pieces = new int[maxPieces];
            var count = tokenizer.Encode(text, pieces);
            embeddings[i] = new float[MiniLm.Dimensions];
            table.Mean(pieces.AsSpan(0, count), embeddings[i]);
        });
        return new TrainingSet { Prompts = prompts, Features = features, Embeddings = embeddings, MaxPieces = maxPieces };
    }
}
