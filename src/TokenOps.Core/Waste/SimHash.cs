using System.Numerics;

namespace TokenOps.Core.Waste;

/// <summary>
/// A 64-bit SimHash (Charikar) of a text's words and word pairs: similar texts get hashes a few bits apart, unrelated
/// ones about 32 bits apart, so near-duplicate prompts are found from the ledger without storing a word of them.
/// Case and punctuation are ignored; each distinct word and adjacent pair is one feature of weight one (counted once,
/// so a pasted file's repeated boilerplate does not drown what differs), deduplicated through an 8,192-bit filter on
/// the stack: a feature whose slot is taken is skipped, which samples long texts the same way every time.
/// </summary>
public static class SimHash
{
    /// <summary>Hashes at most this many characters: a re-sent prompt is recognised by its first pages, and the cost stays bounded.</summary>
    public const int MaxChars = 64 * 1024;

    /// <summary>The SimHash of <paramref name="text"/>, or null when it has no words.</summary>
    public static long? Of(ReadOnlySpan<char> text)
    {
        if (text.Length > MaxChars) text = text[..MaxChars];
        Span<int> votes = stackalloc int[64];
        Span<ulong> seen = stackalloc ulong[128];
        ulong previous = 0;
        var words = 0;
        var i = 0;
        while (i < text.Length)
        {
            while (i < text.Length && !char.IsLetterOrDigit(text[i])) i++;
            if (i >= text.Length) break;
            ulong word = Offset;
            while (i < text.Length && char.IsLetterOrDigit(text[i]))
            {
                word = (word ^ char.ToLowerInvariant(text[i])) * Prime;
                i++;
            }
            word = Mix(word);
            Vote(votes, seen, word);
            if (words > 0) Vote(votes, seen, Mix(previous * 31 + word));
            previous = word;
            words++;
        }
        if (words == 0) return null;
        ulong hash = 0;
        for (var bit = 0; bit < 64; bit++)
            if (votes[bit] > 0) hash |= 1UL << bit;
        return (long)hash;
    }

    /// <summary>How many bits differ.</summary>
    public static int Distance(long a, long b) => BitOperations.PopCount((ulong)(a ^ b));

    private static void Vote(Span<int> votes, Span<ulong> seen, ulong feature)
    {
        var slot = (int)(feature >> 51);
        ref var cell = ref seen[slot >> 6];
        var mask = 1UL << (slot & 63);
        if ((cell & mask) != 0) return;
        cell |= mask;
        for (var bit = 0; bit < 64; bit++)
            votes[bit] += (feature >> bit & 1) == 1 ? 1 : -1;
    }

    private const ulong Offset = 14695981039346656037UL;
    private const ulong Prime = 1099511628211UL;

    // FNV alone spreads short words poorly over the high bits; a finaliser (splitmix64's) evens them out.
    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
