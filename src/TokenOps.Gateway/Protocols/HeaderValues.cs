using System.Buffers;
using System.Text;

namespace TokenOps.Gateway.Protocols;

/// <summary>
/// Response header values built from data (budget ids hold people's, teams' and projects' names). Kestrel refuses
/// non-ASCII and control characters in a header by throwing, which turned a name like "josé" into a 500. Every
/// such value goes through <see cref="Encode"/>: printable ASCII is kept as is, everything else, and '%' itself, is
/// percent-encoded as UTF-8 (RFC 3986 style), so Uri.UnescapeDataString gives the original text back.
/// </summary>
public static class HeaderValues
{
    private static readonly SearchValues<char> Plain = SearchValues.Create(
        " !\"#$&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~");

    /// <summary>The value, percent-encoded where it is not printable ASCII (the same string when nothing needs it).</summary>
    public static string Encode(string value)
    {
        var first = value.AsSpan().IndexOfAnyExcept(Plain);
        if (first < 0) return value;
        var sb = new StringBuilder(value.Length + 16).Append(value, 0, first);
        Span<byte> utf8 = stackalloc byte[4];
        for (var i = first; i < value.Length; i++)
        {
            var c = value[i];
            if (Plain.Contains(c))
            {
                sb.Append(c);
                continue;
            }
            // A well-formed pair is one scalar; an unpaired surrogate becomes U+FFFD rather than failing.
            var rune = Rune.TryCreate(c, out var r) ? r
                : i + 1 < value.Length && Rune.TryCreate(c, value[i + 1], out r) ? r : Rune.ReplacementChar;
            if (rune.Utf16SequenceLength == 2) i++;
            var n = rune.EncodeToUtf8(utf8);
            for (var b = 0; b < n; b++) sb.Append('%').Append(HexUpper[utf8[b] >> 4]).Append(HexUpper[utf8[b] & 0xF]);
        }
        return sb.ToString();
    }

    /// <summary>True when Kestrel will accept the value as is (printable ASCII and tab): used for headers relayed from a provider.</summary>
    public static bool IsSafe(string? value) => value is null || value.AsSpan().IndexOfAnyExcept(Relayable) < 0;

    private static readonly SearchValues<char> Relayable = SearchValues.Create(
        "\t !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~");

    private const string HexUpper = "0123456789ABCDEF";
}
