using System.Text;
using System.Text.Json;

namespace TokenOps.Gateway.Protocols;

/// <summary>
/// Replaces or inserts one top-level property of a JSON object in place, leaving every other byte of the body as the
/// client sent it (field order, spacing, unknown fields, number formatting).
/// </summary>
public static class JsonBodyPatcher
{
    /// <param name="rawValue">The new value as JSON text, for example <c>"gpt-4o"</c> (with quotes) or <c>{"include_usage":true}</c>.</param>
    public static byte[] SetTopLevel(byte[] body, string name, string rawValue)
    {
        var (start, end) = FindValue(body, name);
        var value = Encoding.UTF8.GetBytes(rawValue);
        if (start >= 0)
        {
            var result = new byte[body.Length - (end - start) + value.Length];
            body.AsSpan(0, start).CopyTo(result);
            value.CopyTo(result, start);
            body.AsSpan(end).CopyTo(result.AsSpan(start + value.Length));
            return result;
        }
        return InsertTopLevel(body, name, rawValue);
    }

    /// <summary>Inserts a property the caller knows is absent, as the first one: no scan of the body for it.</summary>
    public static byte[] InsertTopLevel(byte[] body, string name, string rawValue)
    {
        var open = Array.IndexOf(body, (byte)'{');
        var hasOthers = HasAnyProperty(body);
        var insert = Encoding.UTF8.GetBytes($"\"{name}\":{rawValue}{(hasOthers ? "," : "")}");
        var output = new byte[body.Length + insert.Length];
        body.AsSpan(0, open + 1).CopyTo(output);
        insert.CopyTo(output, open + 1);
        body.AsSpan(open + 1).CopyTo(output.AsSpan(open + 1 + insert.Length));
        return output;
    }

    /// <summary>Byte range [start, end) of a top-level property's value, or (-1, -1).</summary>
    private static (int Start, int End) FindValue(byte[] body, string name)
    {
        var reader = new Utf8JsonReader(body);
        reader.Read(); // StartObject
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var match = reader.ValueTextEquals(name);
            reader.Read();
            var start = (int)reader.TokenStartIndex;
            reader.Skip();
            if (match) return (start, (int)reader.BytesConsumed);
        }
        return (-1, -1);
    }

    private static bool HasAnyProperty(byte[] body)
    {
        var reader = new Utf8JsonReader(body);
        reader.Read();
        return reader.Read() && reader.TokenType == JsonTokenType.PropertyName;
    }
}
