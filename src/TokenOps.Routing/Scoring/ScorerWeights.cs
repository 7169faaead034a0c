using System.Text.Json;
using System.Text.Json.Serialization;

namespace TokenOps.Routing.Scoring;

/// <summary>
/// The trained scorer as shipped (src/TokenOps.Routing/weights.json, an embedded resource), written by
/// `tokenops route train`. Per head: logit = bias + Σ weight·(feature − mean)/scale + (mean piece score of the
/// question's first word-pieces − pieceOffset), plus fixed priors; the score is its sigmoid. The piece scores are the
/// embedding block of the logistic regression folded into one number per MiniLM vocabulary piece (the regression is
/// linear in the mean of the pieces' vectors, so the mean of the pieces' scores is the same number).
/// </summary>
public sealed class ScorerWeights
{
    public int Version { get; init; } = 2;
    public required string Description { get; init; }
    public required ScorerTraining Training { get; init; }
    public required string[] Features { get; init; }
    public required int MaxPieces { get; init; }
    public required int VocabularySize { get; init; }

    /// <summary>One linear model per question format: <see cref="ScorerHead.MultipleChoice"/> for questions with
    /// lettered options, <see cref="ScorerHead.FreeForm"/> for everything else. Numbers in a multiple-choice question
    /// and numbers in a word problem say different things, and a shared model averages them away.</summary>
    public required ScorerHead[] Heads { get; init; }

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

/// <summary>One head: logit = bias + Σ weight·clip((feature − mean)/scale) + (mean piece score − pieceOffset).</summary>
public sealed class ScorerHead
{
    public const string MultipleChoice = "multiple-choice";
    public const string FreeForm = "free-form";

    /// <summary>Standardised features are clipped to ±3: a question unlike any seen in training moves the score, but
    /// no single feature can run away with it.</summary>
    public const double Clip = 3;

    public static double Standardise(double value, double mean, double scale) => Math.Clamp((value - mean) / scale, -Clip, Clip);

    public required string Name { get; init; }
    public required int Rows { get; init; }
    public required double[] Means { get; init; }
    public required double[] Scales { get; init; }
    public required double[] Weights { get; init; }
    public required double Bias { get; init; }
    public required double PieceOffset { get; init; }

    /// <summary>The folded embedding block: one score per vocabulary piece, float16 little-endian, base64; empty when the
    /// head was trained without the embedding.</summary>
    public required string PieceScores { get; init; }

    public float[]? DecodePieceScores(int vocabularySize)
    {
        if (PieceScores.Length == 0) return null;
        var bytes = Convert.FromBase64String(PieceScores);
        if (bytes.Length != vocabularySize * 2) throw new InvalidDataException($"weights: head {Name} has {bytes.Length / 2} piece scores for a vocabulary of {vocabularySize}");
        var scores = new float[vocabularySize];
        for (var i = 0; i < scores.Length; i++) scores[i] = (float)BitConverter.ToHalf(bytes, i * 2);
        return scores;
    }

    public static string EncodePieceScores(ReadOnlySpan<float> scores)
    {
        var bytes = new byte[scores.Length * 2];
        for (var i = 0; i < scores.Length; i++) BitConverter.TryWriteBytes(bytes.AsSpan(i * 2), (Half)scores[i]);
        return Convert.ToBase64String(bytes);
    }
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
