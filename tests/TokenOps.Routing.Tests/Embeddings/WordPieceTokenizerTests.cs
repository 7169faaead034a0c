using TokenOps.Routing.Embeddings;
using Xunit;

namespace TokenOps.Routing.Tests.Embeddings;

public class WordPieceTokenizerTests
{
    private static readonly WordPieceTokenizer Tokenizer = MiniLm.Tokenizer();

    private static int[] Encode(string text, int max = 64)
    {
        var ids = new int[max];
        return ids[..Tokenizer.Encode(text, ids)];
    }

    [Fact]
    public void Uses_the_packaged_MiniLM_vocabulary()
    {
        Assert.Equal(30522, Tokenizer.VocabularySize);
        Assert.Equal(100, Tokenizer.UnknownId);
    }

    [Fact]
    public void Lower_cases_splits_punctuation_and_matches_known_ids()
    {
        // bert-base-uncased ids: "the" 1996, "." 1012, "," 1010, "hello" 7592, "world" 2088.
        Assert.Equal([7592, 1010, 2088, 1012], Encode("Hello, WORLD."));
        Assert.Equal(Encode("cafe"), Encode("Café"));
    }

    [Fact]
    public void Splits_unknown_words_into_continuation_pieces()
    {
        var ids = Encode("unaffable");
        Assert.True(ids.Length > 1);
        Assert.DoesNotContain(Tokenizer.UnknownId, ids);
    }

    [Fact]
    public void Stops_at_the_buffer()
    {
        Assert.Equal(3, Encode("one two three four five six", max: 3).Length);
        Assert.Empty(Encode("   \n\t "));
        Assert.Equal([Tokenizer.UnknownId], Encode(new string('a', 150)));
    }
}
