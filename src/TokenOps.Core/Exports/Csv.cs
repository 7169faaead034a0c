using System.Text;

namespace TokenOps.Core.Exports;

/// <summary>RFC 4180 CSV: comma-separated, CRLF line ends, a field quoted when it holds a comma, quote, CR or LF, quotes doubled; null is an empty field.</summary>
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

    private static void WriteField(TextWriter w, string? field)
    {
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
