namespace TokenOps.Routing.Embeddings;

/// <summary>
/// How much each word-piece counts in a prompt's mean embedding: smooth inverse frequency (SIF, as Model2Vec weighs its
/// static vectors), a/(a + p), with p a Zipf estimate from the piece's rank. BERT's word-piece vocabulary lists
/// punctuation and single characters first (ids below 1996), then whole words roughly from the most common ("the",
/// "of", "and") down, so the id is the rank. Common words and punctuation, which say nothing about the question, weigh
/// little; rarer words weigh close to 1.
/// </summary>
public static class PieceWeights
{
    private const int FirstWord = 1996;
    private const double A = 0.01;

    public static double Of(int piece)
    {
        var rank = piece < FirstWord ? 1 : piece - FirstWord + 1;
        return A / (A + 1.0 / rank);
    }
}
