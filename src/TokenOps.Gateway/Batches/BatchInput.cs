using System.Text;
using System.Text.Json;
using TokenOps.Core.Budgets;
using TokenOps.Core.Metering;
using TokenOps.Gateway.Protocols;
using TokenOps.Gateway.Providers;

namespace TokenOps.Gateway.Batches;

/// <summary>A batch's lines, checked: every line priced, one provider for all, and the worst case at batch prices summed.</summary>
public sealed record BatchInput(ProviderEndpoint Provider, string? Endpoint, int Lines, long WorstNanos);

/// <summary>
/// Reads a batch before anything is sent: OpenAI JSONL lines (<c>custom_id</c>, <c>method</c>, <c>url</c>, <c>body</c>) or
/// Anthropic <c>requests</c> (<c>custom_id</c>, <c>params</c>). A bad line is a 400 in the protocol's format naming it
/// (malformed JSON, unknown url, unpriced or unknown model, duplicate custom_id, too many lines, a second provider).
/// Each line's worst case is what the pipeline reserves for one request (the body's bytes bound its input tokens, its
/// output limit or the model's bounds its output), priced at the batch tier.
/// </summary>
public static class BatchInputReader
{
    /// <summary>The line URLs the batch lane meters (their usage object is the chat completion's).</summary>
    public static readonly string[] OpenAIEndpoints = ["/v1/chat/completions"];

    /// <param name="allowed">The key's model allow-list (null: any), held for every line's model and the model that serves it.</param>
    public static BatchInput ReadOpenAI(ReadOnlySpan<byte> content, ModelRouter router, long defaultMaxOutput, int maxLines, Func<string, bool>? allowed = null)
    {
        var ids = new HashSet<string>(StringComparer.Ordinal);
        ProviderEndpoint? provider = null;
        string? endpoint = null;
        long worst = 0;
        var number = 0;
        var text = Encoding.UTF8.GetString(content);
        foreach (var raw in text.Split('\n'))
        {
            number++;
            var line = raw.TrimEnd('\r');
            if (line.Trim().Length == 0) continue;
            if (ids.Count >= maxLines) throw Bad("too_many_lines", $"The batch has more than {maxLines} lines (batches.maxLines); split it.", number);
            JsonDocument doc;
            try
            {
                doc = JsonDocument.Parse(line);
            }
            catch (JsonException)
            {
                throw Bad("invalid_json_line", "This line is not valid JSON.", number);
            }
            using (doc)
            {
                var root = doc.RootElement;
                if (root.ValueKind != JsonValueKind.Object) throw Bad("invalid_json_line", "Each line must be a JSON object.", number);
                var customId = String(root, "custom_id") ?? throw Bad("missing_custom_id", "Missing required field 'custom_id'.", number);
                if (!ids.Add(customId)) throw Bad("duplicate_custom_id", $"custom_id '{customId}' appears twice; each must be unique in the batch.", number);
                if (String(root, "method") != "POST") throw Bad("invalid_method", "'method' must be \"POST\".", number);
                var url = String(root, "url");
                if (url is null || !OpenAIEndpoints.Contains(url, StringComparer.Ordinal))
                    throw Bad("unknown_url", $"'url' {(url is null ? "is missing" : $"'{url}' is not one the batch lane meters")}; use {string.Join(", ", OpenAIEndpoints)}.", number);
                if (endpoint is not null && url != endpoint) throw Bad("mismatched_url", $"Every line must use the same url ('{endpoint}').", number);
                endpoint = url;
                if (!root.TryGetProperty("body", out var body) || body.ValueKind != JsonValueKind.Object)
                    throw Bad("missing_body", "Missing required object 'body'.", number);
                worst += Worst(body, router, Dialect.OpenAI, ["max_completion_tokens", "max_tokens"], defaultMaxOutput, ref provider, $"line {number}", allowed);
            }
        }
        if (ids.Count == 0) throw GatewayException.BadRequest("empty_batch", "The batch file has no lines.", "file");
        return new BatchInput(provider!, endpoint, ids.Count, worst);
    }

    public static BatchInput ReadAnthropic(JsonElement root, ModelRouter router, long defaultMaxOutput, int maxLines, Func<string, bool>? allowed = null)
    {
        if (!root.TryGetProperty("requests", out var requests) || requests.ValueKind != JsonValueKind.Array || requests.GetArrayLength() == 0)
            throw GatewayException.BadRequest("missing_requests", "requests: a non-empty list of {custom_id, params} is required.", "requests");
        if (requests.GetArrayLength() > maxLines)
            throw GatewayException.BadRequest("too_many_lines", $"requests: more than {maxLines} requests (batches.maxLines); split the batch.", "requests");
        var ids = new HashSet<string>(StringComparer.Ordinal);
        ProviderEndpoint? provider = null;
        long worst = 0;
        var index = 0;
        foreach (var request in requests.EnumerateArray())
        {
            var at = $"requests.{index}";
            var customId = request.ValueKind == JsonValueKind.Object ? String(request, "custom_id") : null;
            if (customId is null) throw GatewayException.BadRequest("missing_custom_id", $"{at}.custom_id: Field required.", at);
            if (!ids.Add(customId)) throw GatewayException.BadRequest("duplicate_custom_id", $"{at}.custom_id: '{customId}' appears twice; each must be unique in the batch.", at);
            if (!request.TryGetProperty("params", out var parameters) || parameters.ValueKind != JsonValueKind.Object)
                throw GatewayException.BadRequest("missing_params", $"{at}.params: Field required.", at);
            worst += Worst(parameters, router, Dialect.Anthropic, ["max_tokens"], defaultMaxOutput, ref provider, at, allowed);
            index++;
        }
        return new BatchInput(provider!, null, ids.Count, worst);
    }

    private static long Worst(JsonElement body, ModelRouter router, Dialect dialect, string[] limitFields, long defaultMaxOutput, ref ProviderEndpoint? provider, string where,
        Func<string, bool>? allowed)
    {
        var model = String(body, "model") ?? throw GatewayException.BadRequest("missing_model", $"{Capital(where)}: the request has no 'model'.", "model");
        ModelRoute route;
        try
        {
            route = router.Resolve(model, dialect);
        }
        catch (GatewayException ex)
        {
            throw new GatewayException(ex.Status, ex.Code, $"{Capital(where)}: {ex.Message}", ex.Param);
        }
        if (allowed is not null && (!allowed(model) || !allowed(route.ServedModel)))
            throw new GatewayException(403, "model_not_allowed", $"{Capital(where)}: this API key may not use '{(allowed(model) ? route.ServedModel : model)}'.", "model");
        // Allow-listed unpriced models pass the synchronous pipeline at $0; a batch's whole point is its price, so none here.
        var price = route.Price ?? throw GatewayException.BadRequest("model_not_priced",
            $"{Capital(where)}: the model '{model}' has no price, and the batch lane only takes priced models.", "model");
        if (provider is null) provider = route.Provider;
        else if (!ReferenceEquals(provider, route.Provider) && provider.Name != route.Provider.Name)
            throw GatewayException.BadRequest("mixed_providers",
                $"{Capital(where)}: model '{model}' is served by provider '{route.Provider.Name}', the lines before by '{provider.Name}'; one batch goes to one provider.", "model");
        long? limit = null;
        foreach (var field in limitFields)
            if (limit is null && body.TryGetProperty(field, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var n) && n > 0) limit = n;
        var output = limit ?? price.MaxOutputTokens ?? defaultMaxOutput;
        long bytes = Encoding.UTF8.GetByteCount(body.GetRawText());
        // Every prompt token is at least one byte (with the pipeline's margin): a bound that can only over-reserve.
        return ReservationMath.WorstCaseNanos(price, bytes + bytes / 4 + 32, output, 0, ServiceTier.Batch);
    }

    private static string? String(JsonElement obj, string name) =>
        obj.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String && Protocols.JsonText.SafeString(v) is { Length: > 0 } s ? s : null;

    private static string Capital(string s) => char.ToUpperInvariant(s[0]) + s[1..];

    private static GatewayException Bad(string code, string message, int line) =>
        GatewayException.BadRequest(code, $"Line {line}: {message}", "file");
}
