namespace TokenOps.Routing.Training;

/// <summary>The trainer's settings; the defaults are what the shipped weights were trained with.</summary>
public sealed record TrainerOptions
{
    /// <summary>L2 strength on the standardised cheap features.</summary>
    public double FeatureL2 { get; init; } = 0.003;

    /// <summary>The same for the free-form head (fewer rows, all of one kind: a shorter leash).</summary>
    public double FreeFormFeatureL2 { get; init; } = 0.3;

    /// <summary>L2 strength on each standardised embedding dimension: large, so that topics are not memorised.</summary>
    public double EmbeddingL2 { get; init; } = 30;

    /// <summary>The same for the free-form head, whose training rows are all one kind of question (word problems).</summary>
    public double FreeFormEmbeddingL2 { get; init; } = 3;

    /// <summary>False trains without the embedding block.</summary>
    public bool UseEmbedding { get; init; } = true;

    /// <summary>Rows are weighted by (rows in their domain)^−balance: 0 weighs every row the same, 1 every domain.</summary>
    public double DomainBalance { get; init; } = 0.5;

    public int Steps { get; init; } = 400;
    public double Rate { get; init; } = 0.05;
    public int MaxPieces { get; init; } = 256;

    public Dictionary<string, double> AsSettings() => new()
    {
        ["featureL2"] = FeatureL2, ["freeFormFeatureL2"] = FreeFormFeatureL2, ["embeddingL2"] = EmbeddingL2, ["freeFormEmbeddingL2"] = FreeFormEmbeddingL2, ["useEmbedding"] = UseEmbedding ? 1 : 0, ["domainBalance"] = DomainBalance,
        ["steps"] = Steps, ["rate"] = Rate, ["maxPieces"] = MaxPieces,
    };
}
