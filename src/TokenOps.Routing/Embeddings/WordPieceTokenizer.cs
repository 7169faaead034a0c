using System.Globalization;

namespace TokenOps.Routing.Embeddings;

/// <summary>
/// BERT's uncased word-piece tokenizer over MiniLM's vocabulary, written for the hot path: it lower-cases, strips the
/// common Latin accents, splits on whitespace and punctuation, then matches the longest vocabulary pieces ("##" for a
/// word's continuation), and writes ids into the caller's span with no allocation per word. It stops at the span's
/// length: the router embeds the first N word-pieces of a prompt, never the whole of a long one.
/// </summary>
public sealed class WordPieceTokenizer
{
    private const int MaxWordChars = 100;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _starts;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _continuations;

    public int UnknownId { get; }
    public int VocabularySize { get; }

    public WordPieceTokenizer(IReadOnlyList<string> vocabulary)
    {
        var starts = new Dictionary<string, int>(StringComparer.Ordinal);
        var continuations = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < vocabulary.Count; i++)
        {
            var piece = vocabulary[i];
            if (piece.StartsWith("##", StringComparison.Ordinal) && piece.Length > 2) continuations.TryAdd(piece[2..], i);
            else starts.TryAdd(piece, i);
        }
        _starts = starts.GetAlternateLookup<ReadOnlySpan<char>>();
        _continuations = continuations.GetAlternateLookup<ReadOnlySpan<char>>();
        UnknownId = starts.TryGetValue("[UNK]", out var unk) ? unk : 0;
        VocabularySize = vocabulary.Count;
    }

    /// <summary>Reads a vocab.txt: one piece per line, the line number is the id.</summary>
    public static WordPieceTokenizer FromVocabulary(Stream vocab)
    {
        using var reader = new StreamReader(vocab);
        var pieces = new List<string>(32_000);
        while (reader.ReadLine() is { } line) pieces.Add(line);
        return new WordPieceTokenizer(pieces);
    }

    /// <summary>Writes the word-piece ids of <paramref name="text"/> (no [CLS]/[SEP]) into <paramref name="ids"/>, up
    /// to its length; returns how many were written.</summary>
    public int Encode(ReadOnlySpan<char> text, Span<int> ids)
    {
        Span<char> word = stackalloc char[MaxWordChars];
        var count = 0;
        var length = 0;
        var tooLong = false;
        for (var i = 0; i <= text.Length && count < ids.Length; i++)
        {
            var c = i < text.Length ? text[i] : ' ';
            if (char.IsWhiteSpace(c) || char.IsControl(c) || IsPunctuation(c))
            {
                if (length > 0 || tooLong) count += Pieces(tooLong ? default : word[..length], tooLong, ids[count..]);
                length = 0;
                tooLong = false;
                if (IsPunctuation(c) && count < ids.Length) ids[count++] = _starts.TryGetValue([Lower(c)], out var p) ? p : UnknownId;
                continue;
            }
            if (length == MaxWordChars) { tooLong = true; continue; }
            word[length++] = Lower(c);
        }
        return count;
    }

    // Greedy longest-match-first, as BERT does; a word with no full cover is one [UNK].
    private int Pieces(ReadOnlySpan<char> word, bool tooLong, Span<int> ids)
    {
        if (ids.Length == 0) return 0;
        if (tooLong) { ids[0] = UnknownId; return 1; }
        var written = 0;
        var start = 0;
        while (start < word.Length)
        {
            var end = word.Length;
            var found = -1;
            var lookup = start == 0 ? _starts : _continuations;
            while (end > start)
            {
                if (lookup.TryGetValue(word[start..end], out var id)) { found = id; break; }
                end--;
            }
            if (found < 0) { ids[0] = UnknownId; return 1; }
            if (written == ids.Length) return written;
            ids[written++] = found;
            start = end;
        }
        return written;
    }

    private static char Lower(char c)
    {
        if (c < 128) return c is >= 'A' and <= 'Z' ? (char)(c + 32) : c;
        c = char.ToLowerInvariant(c);
        // BERT strips accents after NFD; the Latin-1 and Latin Extended-A letters cover nearly all English text.
        return c switch
        {
            'à' or 'á' or 'â' or 'ã' or 'ä' or 'å' or 'ā' or 'ă' or 'ą' => 'a',
            'ç' or 'ć' or 'č' => 'c',
            'è' or 'é' or 'ê' or 'ë' or 'ē' or 'ė' or 'ę' or 'ě' => 'e',
            'ì' or 'í' or 'î' or 'ï' or 'ī' => 'i',
            'ñ' or 'ń' or 'ň' => 'n',
            'ò' or 'ó' or 'ô' or 'õ' or 'ö' or 'ō' or 'ő' => 'o',
            'ù' or 'ú' or 'û' or 'ü' or 'ū' or 'ů' or 'ű' => 'u',
            'ý' or 'ÿ' => 'y',
            'š' or 'ś' => 's',
            'ž' or 'ź' or 'ż' => 'z',
            _ => c,
        };
    }

    private static bool IsPunctuation(char c)
    {
        if (c is (>= '!' and <= '/') or (>= ':' and <= '@') or (>= '[' and <= '`') or (>= '{' and <= '~')) return true;
        if (c < 128) return false;
        return char.GetUnicodeCategory(c) is UnicodeCategory.ConnectorPunctuation or UnicodeCategory.DashPunctuation
            or UnicodeCategory.OpenPunctuation or UnicodeCategory.ClosePunctuation or UnicodeCategory.InitialQuotePunctuation
            or UnicodeCategory.FinalQuotePunctuation or UnicodeCategory.OtherPunctuation;
    }
}
