using System.Text.Json;

namespace TokenOps.Gateway.Protocols;

/// <summary>Names the first property an object repeats (compared unescaped), for the error message; the error path only.</summary>
internal static class DuplicateProperty
{
    public static string? Find(byte[] json)
    {
        try
        {
            using var doc = JsonDocument.Parse(json);
            return Find(doc.RootElement);
        }
        catch (JsonException)
        {
            return null; // not a duplicate: the body is broken some other way
        }
    }

    private static string? Find(JsonElement e)
    {
        switch (e.ValueKind)
        {
            case JsonValueKind.Object:
                var seen = new HashSet<string>(StringComparer.Ordinal);
                foreach (var p in e.EnumerateObject())
                {
                    var name = JsonText.SafeString(p);
                    if (!seen.Add(name)) return name;
                    if (Find(p.Value) is { } inner) return inner;
                }
                return null;
            case JsonValueKind.Array:
                foreach (var item in e.EnumerateArray())
                    if (Find(item) is { } inner) return inner;
                return null;
            default:
                return null;
        }
    }
}
