using Microsoft.ML.OnnxRuntime;

namespace TokenOps.Routing.Embeddings;

/// <summary>
/// One 384-dimensional MiniLM vector per vocabulary word-piece: the model's sentence embedding of that piece alone
/// ([CLS] piece [SEP], mean-pooled), as Model2Vec distils a static model from a transformer. The mean of a prompt's
/// piece vectors is its "static" MiniLM embedding: close to what the full model would say about the prompt's words,
/// at the cost of a table look-up instead of a transformer pass (tens of milliseconds on this machine, see
/// docs/ROUTING.md). Built once by the training command; a linear scorer over the mean folds into one number per piece.
/// </summary>
public sealed class TokenEmbeddingTable
{
    private readonly float[] _vectors; // piece-major: [piece * Dimensions + d]

    public int Pieces { get; }

    private TokenEmbeddingTable(float[] vectors, int pieces)
    {
        _vectors = vectors;
        Pieces = pieces;
    }

    /// <summary>A table from given vectors (piece-major), for tests.</summary>
    internal static TokenEmbeddingTable FromVectors(float[] vectors, int pieces) =>
        vectors.Length == pieces * MiniLm.Dimensions ? new TokenEmbeddingTable(vectors, pieces) : throw new ArgumentException("one vector per piece", nameof(vectors));

    public ReadOnlySpan<float> Vector(int piece) => _vectors.AsSpan(piece * MiniLm.Dimensions, MiniLm.Dimensions);

    /// <summary>Runs the packaged MiniLM over every piece of the vocabulary, in batches, on <paramref name="threads"/> threads.</summary>
    public static TokenEmbeddingTable Distil(int vocabularySize, int threads, Action<string>? progress = null)
    {
        const int batch = 512;
        using var options = new SessionOptions { IntraOpNumThreads = Math.Max(1, threads), InterOpNumThreads = 1, ExecutionMode = ExecutionMode.ORT_SEQUENTIAL };
        using var session = new InferenceSession(MiniLm.ModelBytes(), options);
        var output = session.OutputMetadata.Keys.First(k => k == "last_hidden_state" || session.OutputMetadata[k].Dimensions.Length == 3);
        var vectors = new float[vocabularySize * MiniLm.Dimensions];
        var ids = new long[batch * 3];
        var mask = new long[batch * 3];
        var types = new long[batch * 3];
        Array.Fill(mask, 1L);
        for (var first = 0; first < vocabularySize; first += batch)
        {
            var count = Math.Min(batch, vocabularySize - first);
            for (var i = 0; i < count; i++)
            {
                ids[i * 3] = 101; // [CLS]
                ids[i * 3 + 1] = first + i;
                ids[i * 3 + 2] = 102; // [SEP]
            }
            long[] shape = [count, 3];
            using var idValue = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, ids.AsMemory(0, count * 3), shape);
            using var maskValue = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, mask.AsMemory(0, count * 3), shape);
            using var typeValue = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, types.AsMemory(0, count * 3), shape);
            using var runOptions = new RunOptions();
            using var results = session.Run(runOptions, ["input_ids", "attention_mask", "token_type_ids"], [idValue, maskValue, typeValue], [output]);
            var hidden = results[0].GetTensorDataAsSpan<float>(); // [count, 3, 384]
            for (var i = 0; i < count; i++)
            {
                var target = vectors.AsSpan((first + i) * MiniLm.Dimensions, MiniLm.Dimensions);
                for (var t = 0; t < 3; t++)
                {
                    var row = hidden.Slice((i * 3 + t) * MiniLm.Dimensions, MiniLm.Dimensions);
                    for (var d = 0; d < MiniLm.Dimensions; d++) target[d] += row[d] / 3f;
                }
                Normalise(target);
            }
            if (progress is not null && (first / batch) % 10 == 0) progress($"distilled {first + count}/{vocabularySize} word-pieces");
        }
        return new TokenEmbeddingTable(vectors, vocabularySize);
    }

    /// <summary>The weighted mean of the pieces' vectors (see <see cref="PieceWeights"/>; zero when there are none).</summary>
    public void Mean(ReadOnlySpan<int> pieces, Span<float> into)
    {
        into.Clear();
        double total = 0;
        foreach (var piece in pieces)
        {
            var w = PieceWeights.Of(piece);
            total += w;
            var v = Vector(piece);
            for (var d = 0; d < v.Length; d++) into[d] += (float)(w * v[d]);
        }
        if (total <= 0) return;
        for (var d = 0; d < into.Length; d++) into[d] = (float)(into[d] / total);
    }

    public void Save(string path)
    {
        using var file = File.Create(path);
        using var writer = new BinaryWriter(file);
        writer.Write(Pieces);
        writer.Write(MiniLm.Dimensions);
        foreach (var v in _vectors) writer.Write(v);
    }

    public static TokenEmbeddingTable? TryLoad(string path, int pieces)
    {
        if (!File.Exists(path)) return null;
        using var file = File.OpenRead(path);
        using var reader = new BinaryReader(file);
        if (reader.ReadInt32() != pieces || reader.ReadInt32() != MiniLm.Dimensions) return null;
        var vectors = new float[pieces * MiniLm.Dimensions];
        for (var i = 0; i < vectors.Length; i++) vectors[i] = reader.ReadSingle();
        return new TokenEmbeddingTable(vectors, pieces);
    }

    private static void Normalise(Span<float> v)
    {
        double norm = 0;
        foreach (var x in v) norm += x * x;
        var scale = norm > 0 ? (float)(1 / Math.Sqrt(norm)) : 0f;
        for (var d = 0; d < v.Length; d++) v[d] *= scale;
    }
}
