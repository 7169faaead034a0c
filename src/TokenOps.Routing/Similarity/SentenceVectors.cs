using System.Buffers;
using TokenOps.Routing.Embeddings;

namespace TokenOps.Routing.Similarity;

/// <summary>
/// A prompt's static sentence embedding for the semantic cache matcher: the SIF-weighted mean (<see cref="PieceWeights"/>)
/// of its word-pieces' vectors, L2-normalised, so a dot product is the cosine. The vectors are the router's distilled
/// MiniLM table shrunk to 128 principal components in int8 (<see cref="SemanticTableBuilder"/>, 4 MB, embedded): a
/// table look-up per word-piece, no transformer pass, a few microseconds for a typical prompt.
/// </summary>
public sealed class SentenceVectors
{
    /// <summary>Word-pieces embedded at most: a prompt's first 512, as the router caps its own.</summary>
    public const int MaxPieces = 512;

    private static readonly Lazy<SentenceVectors> Shared = new(() => Load(MiniLm.Tokenizer()));

    private readonly WordPieceTokenizer _tokenizer;
    private readonly float[] _scales;
    private readonly sbyte[] _vectors;
    private readonly float[] _weights;

    public int Dimensions { get; }

    private SentenceVectors(WordPieceTokenizer tokenizer, float[] scales, sbyte[] vectors, int dimensions)
    {
        _tokenizer = tokenizer;
        _scales = scales;
        _vectors = vectors;
        Dimensions = dimensions;
        _weights = new float[scales.Length];
        for (var p = 0; p < scales.Length; p++) _weights[p] = (float)PieceWeights.Of(p) * scales[p];
    }

    /// <summary>The packaged table (loaded once per process).</summary>
    public static SentenceVectors Default => Shared.Value;

    private static SentenceVectors Load(WordPieceTokenizer tokenizer)
    {
        using var stream = typeof(SentenceVectors).Assembly.GetManifestResourceStream("TokenOps.Routing.semantic-pieces.bin")
            ?? throw new InvalidOperationException("the semantic word-piece table is not embedded");
        using var reader = new BinaryReader(stream);
        if (reader.ReadInt32() != SemanticTableBuilder.Magic) throw new InvalidDataException("not a semantic word-piece table");
        var pieces = reader.ReadInt32();
        var dimensions = reader.ReadInt32();
        if (pieces != tokenizer.VocabularySize) throw new InvalidDataException("the semantic table does not match the vocabulary");
        var scales = new float[pieces];
        for (var p = 0; p < pieces; p++) scales[p] = reader.ReadSingle();
        var vectors = new sbyte[pieces * dimensions];
        reader.BaseStream.ReadExactly(System.Runtime.InteropServices.MemoryMarshal.AsBytes(vectors.AsSpan()));
        return new SentenceVectors(tokenizer, scales, vectors, dimensions);
    }

    /// <summary>Writes the unit vector of <paramref name="text"/> into <paramref name="into"/> (length
    /// <see cref="Dimensions"/>); all zeros when the text has no word-pieces.</summary>
    public void Embed(ReadOnlySpan<char> text, Span<float> into)
    {
        if (into.Length != Dimensions) throw new ArgumentException($"expected {Dimensions} dimensions", nameof(into));
        var ids = ArrayPool<int>.Shared.Rent(MaxPieces);
        try
        {
            var count = _tokenizer.Encode(text, ids.AsSpan(0, MaxPieces));
            into.Clear();
            for (var i = 0; i < count; i++)
            {
                var piece = ids[i];
                var w = _weights[piece];
                var row = _vectors.AsSpan(piece * Dimensions, Dimensions);
                for (var d = 0; d < row.Length; d++) into[d] += w * row[d];
            }
            var norm = System.Numerics.Tensors.TensorPrimitives.Norm((ReadOnlySpan<float>)into);
            if (norm > 0) System.Numerics.Tensors.TensorPrimitives.Divide(into, norm, into);
        }
        finally
        {
            ArrayPool<int>.Shared.Return(ids);
        }
    }

    public float[] Embed(string text)
    {
        var v = new float[Dimensions];
        Embed(text, v);
        return v;
    }
}
