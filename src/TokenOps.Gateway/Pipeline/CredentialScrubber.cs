using System.Text;

namespace TokenOps.Gateway.Pipeline;

/// <summary>
/// Removes the operator's provider key from a body relayed to a client (providers echo keys in error messages, whole
/// or as fragments such as "sk-proj-abcdefgh…wxyz"). The whole key, and every run of at least <see cref="MinFragment"/>
/// characters that also occurs in the key, becomes "[redacted]". A key shorter than that is replaced whole only.
/// </summary>
public static class CredentialScrubber
{
    public const int MinFragment = 8;
    private static readonly byte[] Redacted = "[redacted]"u8.ToArray();

    public static byte[] Scrub(byte[] body, string? key)
    {
        if (string.IsNullOrEmpty(key) || body.Length == 0) return body;
        var secret = Encoding.UTF8.GetBytes(key);
        var min = Math.Min(MinFragment, secret.Length);
        // Every window of the key of the minimum length: a body position can only start a fragment where one of these matches.
        var windows = new HashSet<ulong>();
        for (var i = 0; i + min <= secret.Length; i++) windows.Add(Hash(secret.AsSpan(i, min)));

        var output = new List<byte>(body.Length);
        var changed = false;
        var at = 0;
        while (at < body.Length)
        {
            var length = at + min <= body.Length && windows.Contains(Hash(body.AsSpan(at, min))) ? LongestFragment(body.AsSpan(at), secret, min) : 0;
            if (length == 0)
            {
                output.Add(body[at++]);
                continue;
            }
            output.AddRange(Redacted);
            at += length;
            changed = true;
        }
        return changed ? output.ToArray() : body;
    }

    /// <summary>The length of the longest prefix of <paramref name="text"/> (at least <paramref name="min"/>) that occurs in the key, else 0.</summary>
    private static int LongestFragment(ReadOnlySpan<byte> text, ReadOnlySpan<byte> secret, int min)
    {
        var best = 0;
        for (var start = 0; start + min <= secret.Length; start++)
        {
            var n = text.CommonPrefixLength(secret[start..]);
            if (n >= min && n > best) best = n;
        }
        return best;
    }

    private static ulong Hash(ReadOnlySpan<byte> bytes)
    {
        var h = 14695981039346656037UL;
        foreach (var b in bytes) h = (h ^ b) * 1099511628211UL;
        return h;
    }
}
