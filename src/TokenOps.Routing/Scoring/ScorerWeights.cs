using System.Text.Json;
using System.Text.Json.Serialization;

namespace TokenOps.Routing.Scoring;

/// <summary>
/// The trained scorer as shipped (src/TokenOps.Routing/weights.json, an embedded resource), written by
/// `tokenops route train`. logit = bias + Σ weight·(feature − mean)/scale + (mean piece score of the question's first
/// word-pieces − pieceOffset) + priors; the score is its sigmoid. The piece scores are the embedding block of the
/// logistic regression folded into one number per MiniLM vocabulary piece (the regression is linear in the mean of the
/// pieces' vectors, so the mean of the pieces' scores is the same number), stored as little-endian float16, base64.
/// </summary>
public sealed class ScorerWeights
{
    public int Version { get; init; } = 1;
    public required string Description { get; init; }
    public required ScorerTraining Training { get; init; }
    public required string[] Features { get; init; }
    public required double[] Means { get; init; }
    public required double[] Scales { get; init; }
    public required double[] Weights { get; init; }
    public required double Bias { get; init; }
    public required int MaxPieces { get; init; }
    public required int VocabularySize { get; init; }
    public required double PieceOffset { get; init; }
    public required string PieceScores { get; init; }

    public float[] DecodePieceScores()
    {
        var bytes = Convert.FromBase64String(PieceScores);
        if (bytes.Length != VocabularySize * 2) throw new InvalidDataException($"weights: {bytes.Length / 2} piece scores for a vocabulary of {VocabularySize}");
        var scores = new float[VocabularySize];
        for (var i = 0; i < scores.Length; i++) scores[i] = (float)BitConverter.ToHalf(bytes, i * 2);
        return scores;
    }

    public static string EncodePieceScores(ReadOnlySpan<float> scores)
    {
        var bytes = new byte[scores.Length * 2];
        for (var i = 0; i < scores.Length; i++) BitConverter.TryWriteBytes(bytes.AsSpan(i * 2), (Half)scores[i]);
        return Convert.ToBase64String(bytes);
    }

    public static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static ScorerWeights FromJson(Stream json) => JsonSerializer.Deserialize<ScorerWeights>(json, Json)
        ?? throw new InvalidDataException("weights: empty file");
}

/// <summary>How a weights file was made, so that it can be made again.</summary>
public sealed class ScorerTraining
{
    public required string Command { get; init; }
    public required string[] Files { get; init; }
    public required int Rows { get; init; }
    public required int Seed { get; init; }
    public required string Label { get; init; }
    public required Dictionary<string, double> Settings { get; init; }
}
