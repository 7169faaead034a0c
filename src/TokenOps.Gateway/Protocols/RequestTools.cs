using System.Text.Json;

namespace TokenOps.Gateway.Protocols;

/// <summary>The request's <c>tools</c>, each with its type: what reservations read to tell built-in and server tools apart.</summary>
internal static class RequestTools
{
    /// <summary>Every tool object in <c>tools</c> that names a string <c>type</c>, with that type (read without throwing).</summary>
    public static IEnumerable<(JsonElement Tool, string Type)> Typed(JsonElement root)
    {
        if (!root.TryGetProperty("tools", out var tools) || tools.ValueKind != JsonValueKind.Array) yield break;
        foreach (var tool in tools.EnumerateArray())
            if (tool.ValueKind == JsonValueKind.Object && tool.TryGetProperty("type", out var type) && type.ValueKind == JsonValueKind.String)
                yield return (tool, JsonText.SafeString(type));
    }

    public static bool StartsWithAny(string type, string[] prefixes)
    {
        foreach (var prefix in prefixes)
            if (type.StartsWith(prefix, StringComparison.Ordinal)) return true;
        return false;
    }
}
