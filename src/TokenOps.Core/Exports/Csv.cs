using System.Text;

namespace TokenOps.Core.Exports;

/// <summary>
/// RFC 4180 CSV: comma-separated, CRLF line ends, a field quoted when it holds a comma, quote, CR or LF, quotes doubled;
/// null is an empty field. Every CSV TokenOps writes goes through <see cref="Escape"/>, which also neutralises formulas.
/// </summary>
public sealed class CsvWriter(TextWriter output)
{
    private static readonly char[] Special = [',', '"', '\r', '\n'];

    public void WriteRow(IReadOnlyList<string?> fields)
    {
        for (var i = 0; i < fields.Count; i++)
        {
            if (i > 0) output.Write(',');
            WriteField(output, fields[i]);
        }
        output.Write("\r\n");
    }

    public static string Escape(string? field)
    {
        var b = new StringWriter();
        WriteField(b, field);
        return b.ToString();
    }

    /// <summary>
    /// A text cell a spreadsheet would run as a formula (=HYPERLINK(…), +cmd|…, -2+3, @SUM(…), or one opening with a tab
    /// or line break, full-width forms and leading spaces included) gets a leading apostrophe, so it is shown as text.
    /// A number (-0.5, 1e-9) is left alone: numeric columns stay numeric.
    /// </summary>
    public static string? Neutralise(string? field)
    {
        if (string.IsNullOrEmpty(field) || IsNumber(field)) return field;
        if (field[0] is '\t' or '\r' or '\n') return "'" + field;
        var first = field.TrimStart(' ', '\u3000');
        return first.Length > 0 && first[0] is '=' or '+' or '-' or '@' or '\uFF1D' or '\uFF0B' or '\uFF0D' or '\uFF20' ? "'" + field : field;
    }

    private static bool IsNumber(string s) =>
        decimal.TryParse(s, System.Globalization.NumberStyles.AllowLeadingSign | System.Globalization.NumberStyles.AllowDecimalPoint | System.Globalization.NumberStyles.AllowExponent,
            System.Globalization.CultureInfo.InvariantCulture, out _)
        || double.TryParse(s, System.Globalization.NumberStyles.AllowLeadingSign | System.Globalization.NumberStyles.AllowDecimalPoint | System.Globalization.NumberStyles.AllowExponent,
            System.Globalization.CultureInfo.InvariantCulture, out var d) && double.IsFinite(d);

    private static void WriteField(TextWriter w, string? field)
    {
        field = Neutralise(field);
        if (string.IsNullOrEmpty(field)) return;
        if (field.IndexOfAny(Special) < 0)
        {
            w.Write(field);
            return;
        }
        w.Write('"');
        w.Write(field.Replace("\"", "\"\"", StringComparison.Ordinal));
        w.Write('"');
    }

    /// <summary>Reads RFC 4180 CSV back (quoted fields may span lines). Empty fields come back as "".</summary>
    public static IEnumerable<string[]> Read(TextReader input)
    {
        var fields = new List<string>();
        var field = new StringBuilder();
        var quoted = false;
        var any = false;
        int c;
        while ((c = input.Read()) >= 0)
        {
            any = true;
            var ch = (char)c;
            if (quoted)
            {
                if (ch != '"') field.Append(ch);
                else if (input.Peek() == '"') { input.Read(); field.Append('"'); }
                else quoted = false;
                continue;
            }
            switch (ch)
            {
                case '"': quoted = true; break;
                case ',': fields.Add(field.ToString()); field.Clear(); break;
                case '\r': break;
                case '\n':
                    fields.Add(field.ToString());
                    field.Clear();
                    yield return fields.ToArray();
                    fields.Clear();
                    any = false;
                    break;
                default: field.Append(ch); break;
            }
        }
        if (any)
        {
            fields.Add(field.ToString());
            yield return fields.ToArray();
        }
    }
}
