using System.Text.Json;

namespace TokenOps.Gateway.Protocols;

/// <summary>Typed reads of request fields, each failure a 400 that names the field.</summary>
internal static class JsonFields
{
    public static string RequiredModel(JsonElement root)
    {
        if (!root.TryGetProperty("model", out var model) || model.ValueKind == JsonValueKind.Null)
            throw GatewayException.BadRequest("missing_model", "The request body has no 'model'. Name the model to call, for example \"gpt-4o-mini\".", "model");
        if (model.ValueKind != JsonValueKind.String)
            throw GatewayException.BadRequest("invalid_type", $"'model' must be a string, not {Kind(model)}.", "model");
        string value;
        try
        {
            value = model.GetString()!;
        }
        catch (InvalidOperationException)
        {
            throw GatewayException.BadRequest("invalid_value", "'model' is not valid Unicode (it holds a lone surrogate escape).", "model");
        }
        if (value.Length == 0) throw GatewayException.BadRequest("missing_model", "'model' must not be empty.", "model");
        return value;
    }

    public static bool OptionalBool(JsonElement root, string name)
    {
        if (!root.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return false;
        return v.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw GatewayException.BadRequest("invalid_type", $"'{name}' must be a boolean, not {Kind(v)}.", name),
        };
    }

    public static long? OptionalPositiveInt(JsonElement root, string name)
    {
        if (!root.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt64(out var n))
            throw GatewayException.BadRequest("invalid_type", $"'{name}' must be an integer, not {Kind(v)}.", name);
        if (n < 1) throw GatewayException.BadRequest("invalid_value", $"'{name}' must be at least 1.", name);
        return n;
    }

    /// <summary>
    /// How many completions the request asks for: <c>n</c> and, where a protocol has it, <c>best_of</c> (the provider
    /// generates best_of and returns n; both are billed), whichever is larger. Output is generated that many times.
    /// </summary>
    public static int Choices(JsonElement root)
    {
        var n = OptionalPositiveInt(root, "n") ?? 1;
        var bestOf = OptionalPositiveInt(root, "best_of") ?? 1;
        // A provider refuses values this large; the cap only keeps the reservation arithmetic in range.
        return (int)Math.Min(Math.Max(n, bestOf), 1_000_000);
    }

    /// <summary>
    /// The lane an OpenAI request asks for: <c>priority</c> is billed at priority rates, so it is reserved at them; every
    /// other value (default, auto, flex, scale) is reserved at standard rates, which are never below them.
    /// </summary>
    public static TokenOps.Core.Metering.ServiceTier RequestedTier(JsonElement root) =>
        root.TryGetProperty("service_tier", out var tier) && tier.ValueKind == JsonValueKind.String && tier.ValueEquals("priority")
            ? TokenOps.Core.Metering.ServiceTier.Priority
            : TokenOps.Core.Metering.ServiceTier.Standard;

    /// <summary>Counts the numbers under <paramref name="e"/> (token ids in arrays, at any depth).</summary>
    public static long CountNumbers(JsonElement e)
    {
        switch (e.ValueKind)
        {
            case JsonValueKind.Number: return 1;
            case JsonValueKind.Array:
                long count = 0;
                foreach (var item in e.EnumerateArray()) count += CountNumbers(item);
                return count;
            default: return 0;
        }
    }

    public static void RequireArray(JsonElement root, string name)
    {
        if (!root.TryGetProperty(name, out var v))
            throw GatewayException.BadRequest("missing_field", $"The request body has no '{name}'.", name);
        if (v.ValueKind != JsonValueKind.Array)
            throw GatewayException.BadRequest("invalid_type", $"'{name}' must be an array, not {Kind(v)}.", name);
    }

    public static string Kind(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Array => "an array",
        JsonValueKind.Object => "an object",
        _ => "null",
    };

    /// <summary>Appends every string value under <paramref name="e"/> (for tokenizer estimates of prompt size); never throws.</summary>
    public static void CollectText(JsonElement e, System.Text.StringBuilder sb)
    {
        switch (e.ValueKind)
        {
            case JsonValueKind.String: sb.Append(JsonText.SafeString(e)).Append(' '); break;
            case JsonValueKind.Array: foreach (var item in e.EnumerateArray()) CollectText(item, sb); break;
            case JsonValueKind.Object: foreach (var p in e.EnumerateObject()) CollectText(p.Value, sb); break;
        }
    }
}
