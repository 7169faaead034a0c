using System.Text;
using System.Text.Json;

namespace TokenOps.Gateway.Protocols;

/// <summary>
/// Replaces or inserts properties of a JSON object in place, leaving every other byte of the body as the client sent it
/// (field order, spacing, unknown fields, number formatting): one top-level property, or several edits at values found
/// by a path (<see cref="Locate"/>, <see cref="Apply"/>).
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

    /// <summary>
    /// Byte range [start, end) of the value at <paramref name="path"/> (property names and array indexes from the root),
    /// or null when the body has no such value. A string's range includes its quotes.
    /// </summary>
    public static (int Start, int End)? Locate(ReadOnlySpan<byte> body, params ReadOnlySpan<JsonStep> path)
    {
        var reader = new Utf8JsonReader(body);
        if (!reader.Read()) return null;
        foreach (var step in path)
        {
            if (!(step.Name is { } name ? EnterProperty(ref reader, name) : EnterElement(ref reader, step.Index))) return null;
        }
        var start = (int)reader.TokenStartIndex;
        reader.Skip();
        return (start, (int)reader.BytesConsumed);
    }

    /// <summary>Inserts <paramref name="member"/> (<c>"name":value</c>) as the first member of the object that starts at <paramref name="objectStart"/>.</summary>
    public static JsonEdit InsertFirstMember(ReadOnlySpan<byte> body, int objectStart, string member)
    {
        var next = objectStart + 1;
        while (next < body.Length && body[next] is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r') next++;
        var empty = next < body.Length && body[next] == (byte)'}';
        return new JsonEdit(objectStart + 1, objectStart + 1, Encoding.UTF8.GetBytes(empty ? member : member + ","));
    }

    /// <summary>Applies edits that do not overlap, in one copy of the body.</summary>
    public static byte[] Apply(byte[] body, IEnumerable<JsonEdit> edits)
    {
        var ordered = edits.OrderBy(e => e.Start).ToList();
        var length = body.Length + ordered.Sum(e => e.Replacement.Length - (e.End - e.Start));
        var output = new byte[length];
        int read = 0, written = 0;
        foreach (var edit in ordered)
        {
            if (edit.Start < read) throw new ArgumentException("JSON edits overlap.", nameof(edits));
            body.AsSpan(read, edit.Start - read).CopyTo(output.AsSpan(written));
            written += edit.Start - read;
            edit.Replacement.CopyTo(output, written);
            written += edit.Replacement.Length;
            read = edit.End;
        }
        body.AsSpan(read).CopyTo(output.AsSpan(written));
        return output;
    }

    private static bool EnterProperty(ref Utf8JsonReader reader, string name)
    {
        if (reader.TokenType != JsonTokenType.StartObject) return false;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var match = reader.ValueTextEquals(name);
            reader.Read();
            if (match) return true;
            reader.Skip();
        }
        return false;
    }

    private static bool EnterElement(ref Utf8JsonReader reader, int index)
    {
        if (reader.TokenType != JsonTokenType.StartArray) return false;
        for (var i = 0; reader.Read() && reader.TokenType != JsonTokenType.EndArray; i++)
        {
            if (i == index) return true;
            reader.Skip();
        }
        return false;
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

/// <summary>One step of a path into a JSON body: a property name, or an array index.</summary>
public readonly record struct JsonStep(string? Name, int Index)
{
    public static implicit operator JsonStep(string name) => new(name, -1);
    public static implicit operator JsonStep(int index) => new(null, index);
}

/// <summary>Replace the bytes [Start, End) of a body with <see cref="Replacement"/> (Start == End inserts).</summary>
public readonly record struct JsonEdit(int Start, int End, byte[] Replacement);
