using System.Buffers;
using System.Security.Cryptography;
using System.Text.Json;

namespace TokenOps.Gateway.ResponseCache;

/// <summary>
/// The exact cache's key: SHA-256 over the canonical request. Canonical means what decides the answer, written one way:
/// every object's properties sorted by name at every depth (so key order does not matter), strings and numbers as the
/// JSON writer writes them, the model replaced by the one that serves (after aliases and routing), and the fields that
/// do not change the answer left out (<see cref="Ignored"/>). The route and the tenant scope lead the hashed text, so
/// an entry can never answer another protocol or another tenant.
/// </summary>
public static class ResponseCacheKey
{
    private const string Version = "tokenops-response-cache/1";

    /// <summary>Top-level fields that change how or for whom the answer is delivered, never what it says.</summary>
    public static readonly IReadOnlySet<string> Ignored = new HashSet<string>(StringComparer.Ordinal)
    {
        "model", "stream", "stream_options", "user", "metadata", "safety_identifier", "prompt_cache_key",
    };

    public static string Compute(string route, string servedModel, string scope, JsonElement body)
    {
        var buffer = new ArrayBufferWriter<byte>(4096);
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { SkipValidation = true }))
        {
            writer.WriteStartObject();
            writer.WriteString("v", Version);
            writer.WriteString("route", route);
            writer.WriteString("scope", scope);
            writer.WriteString("model", servedModel);
            writer.WritePropertyName("request");
            writer.WriteStartObject();
            foreach (var property in Sorted(body))
            {
                if (Ignored.Contains(property.Name)) continue;
                writer.WritePropertyName(property.Name);
                WriteCanonical(writer, property.Value);
            }
            writer.WriteEndObject();
            writer.WriteEndObject();
        }
        return Convert.ToHexStringLower(SHA256.HashData(buffer.WrittenSpan));
    }

    private static void WriteCanonical(Utf8JsonWriter writer, JsonElement value)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.Object:
                writer.WriteStartObject();
                foreach (var property in Sorted(value))
                {
                    writer.WritePropertyName(property.Name);
                    WriteCanonical(writer, property.Value);
                }
                writer.WriteEndObject();
                break;
            case JsonValueKind.Array:
                writer.WriteStartArray();
                foreach (var item in value.EnumerateArray()) WriteCanonical(writer, item);
                writer.WriteEndArray();
                break;
            default:
                value.WriteTo(writer);
                break;
        }
    }

    private static IEnumerable<JsonProperty> Sorted(JsonElement obj)
    {
        var properties = new List<JsonProperty>();
        foreach (var p in obj.EnumerateObject()) properties.Add(p);
        properties.Sort(static (a, b) => string.CompareOrdinal(a.Name, b.Name));
        return properties;
    }
}
