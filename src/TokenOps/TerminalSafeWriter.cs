using System.Buffers;
using System.Globalization;
using System.Text;

namespace TokenOps.Cli;

/// <summary>
/// Everything the CLI prints for people (tables, reports, messages) passes through here: ledger values come from
/// clients (model names, attribution headers, person names), and a terminal obeys control sequences in them (ANSI/OSC
/// escapes that hide text, rewrite lines, set the title or hyperlinks). Control characters (C0 but tab and line feed,
/// CR unless before LF, DEL, C1 such as the 8-bit CSI) and bidirectional overrides are shown escaped, as \x1b or
/// \u202e. JSON output needs nothing (its writer escapes them); exports write their bytes straight to the stream.
/// </summary>
public sealed class TerminalSafeWriter(TextWriter inner) : TextWriter
{
    private static readonly SearchValues<char> Unsafe = SearchValues.Create(Chars());

    public override Encoding Encoding => inner.Encoding;

    public override IFormatProvider FormatProvider => inner.FormatProvider;

    /// <summary>Puts the filter in front of Console.Out and Console.Error.</summary>
    public static void Install()
    {
        Console.SetOut(Synchronized(new TerminalSafeWriter(Console.Out)));
        Console.SetError(Synchronized(new TerminalSafeWriter(Console.Error)));
    }

    /// <summary>The text as it is printed.</summary>
    public static string Escape(string text)
    {
        using var writer = new StringWriter(CultureInfo.InvariantCulture);
        new TerminalSafeWriter(writer).Write(text);
        return writer.ToString();
    }

    public override void Write(char value) => Write(new ReadOnlySpan<char>(in value));

    public override void Write(string? value) => Write(value.AsSpan());

    public override void Write(char[] buffer, int index, int count) => Write(buffer.AsSpan(index, count));

    public override void Write(ReadOnlySpan<char> text)
    {
        while (!text.IsEmpty)
        {
            var at = text.IndexOfAny(Unsafe);
            if (at < 0)
            {
                inner.Write(text);
                return;
            }
            inner.Write(text[..at]);
            var c = text[at];
            if (c == '\r' && at + 1 < text.Length && text[at + 1] == '\n') inner.Write("\r\n");
            else inner.Write(c <= 0xFF ? $"\\x{(int)c:x2}" : $"\\u{(int)c:x4}");
            text = text[(at + (c == '\r' && at + 1 < text.Length && text[at + 1] == '\n' ? 2 : 1))..];
        }
    }

    public override void WriteLine(string? value)
    {
        Write(value);
        Write(CoreNewLine);
    }

    public override void Flush() => inner.Flush();

    protected override void Dispose(bool disposing)
    {
        if (disposing) inner.Flush();
        base.Dispose(disposing);
    }

    private static string Chars()
    {
        var chars = new StringBuilder();
        for (var c = '\0'; c < ' '; c++)
            if (c is not ('\n' or '\t')) chars.Append(c);
        for (var c = '\x7f'; c <= '\x9f'; c++) chars.Append(c);
        chars.Append("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069");
        return chars.ToString();
    }
}
