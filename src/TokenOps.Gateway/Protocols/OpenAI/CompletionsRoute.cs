using System.Text;
using System.Text.Json;
using TokenOps.Gateway.Metering;

namespace TokenOps.Gateway.Protocols.OpenAI;

/// <summary>
/// POST /v1/completions, the legacy text completions API (gpt-3.5-turbo-instruct, davinci-002) and the fill-in-the-middle
/// clients that use it (<c>prompt</c> + <c>suffix</c>). Priced as text tokens. A request may hold several prompts, each
/// answered <c>best_of</c> times (n returned): output is generated prompts x max(n, best_of) times, and reserved so.
/// Without <c>max_tokens</c> the API generates at most 16 tokens per choice. Streams get <c>stream_options.include_usage</c>
/// as chat streams do, and are metered from the usage chunk.
/// </summary>
public sealed class CompletionsRoute : ProtocolRoute
{
    /// <summary>The API's own default <c>max_tokens</c> for this endpoint.</summary>
    public const long DefaultMaxTokens = 16;

    private static readonly TextFields StreamedText = new("text");

    public override string Name => "openai.completions";
    public override string Path => "/v1/completions";
    public override Dialect Dialect => Dialect.OpenAI;

    public override RequestFacts Read(JsonElement root)
    {
        var model = JsonFields.RequiredModel(root);
        var prompts = Prompts(root);
        if (root.TryGetProperty("suffix", out var suffix) && suffix.ValueKind is not (JsonValueKind.String or JsonValueKind.Null))
            throw GatewayException.BadRequest("invalid_type", $"'suffix' must be a string, not {JsonFields.Kind(suffix)}.", "suffix");
        var stream = JsonFields.OptionalBool(root, "stream");
        var maxTokens = JsonFields.OptionalPositiveInt(root, "max_tokens") ?? DefaultMaxTokens;
        var n = JsonFields.OptionalPositiveInt(root, "n") ?? 1;
        if (JsonFields.OptionalPositiveInt(root, "best_of") is { } bestOf && bestOf < n)
            throw GatewayException.BadRequest("invalid_value", "'best_of' must be at least 'n'.", "best_of");
        if (stream && root.TryGetProperty("best_of", out var b) && b.ValueKind == JsonValueKind.Number && b.TryGetInt64(out var bo) && bo > 1)
            throw GatewayException.BadRequest("invalid_value", "'best_of' above 1 cannot be streamed.", "best_of");
        var askedForUsage = false;
        var optionsSent = root.TryGetProperty("stream_options", out var options);
        if (optionsSent && options.ValueKind == JsonValueKind.Object)
            askedForUsage = JsonFields.OptionalBool(options, "include_usage");
        var choices = (int)Math.Min((long)JsonFields.Choices(root) * prompts, 1_000_000);
        return new RequestFacts(model, stream, maxTokens, askedForUsage, choices, optionsSent);
    }

    /// <summary>
    /// How many prompts the body holds: a string (one), an array of strings (one each), an array of token ids (one) or
    /// an array of arrays of token ids (one each).
    /// </summary>
    private static int Prompts(JsonElement root)
    {
        if (!root.TryGetProperty("prompt", out var prompt) || prompt.ValueKind == JsonValueKind.Null)
            throw GatewayException.BadRequest("missing_field", "The request body needs 'prompt' as a string, an array of strings or an array of token ids.", "prompt");
        switch (prompt.ValueKind)
        {
            case JsonValueKind.String:
                return 1;
            case JsonValueKind.Array when prompt.GetArrayLength() == 0:
                throw GatewayException.BadRequest("invalid_value", "'prompt' must not be an empty array.", "prompt");
            case JsonValueKind.Array:
                var first = prompt[0].ValueKind;
                if (first == JsonValueKind.Number) return AllOf(prompt, JsonValueKind.Number) ? 1 : throw Mixed();
                if (first is JsonValueKind.String or JsonValueKind.Array && AllOf(prompt, first)) return prompt.GetArrayLength();
                throw Mixed();
            default:
                throw GatewayException.BadRequest("invalid_type", $"'prompt' must be a string or an array, not {JsonFields.Kind(prompt)}.", "prompt");
        }

        static bool AllOf(JsonElement array, JsonValueKind kind) => array.EnumerateArray().All(e => e.ValueKind == kind);
        static GatewayException Mixed() =>
            GatewayException.BadRequest("invalid_value", "'prompt' must be an array of strings, of token ids, or of arrays of token ids.", "prompt");
    }

    public override byte[] PrepareUpstreamBody(byte[] body, RequestFacts facts, string servedModel) =>
        ChatCompletionsRoute.WithIncludeUsage(base.PrepareUpstreamBody(body, facts, servedModel), facts);

    public override UsageMeter CreateMeter(RequestFacts facts) => new ChatCompletionsMeter(facts.ClientAskedForUsage, streamedText: StreamedText);

    public override bool IsPromptField(string name) => name is "prompt" or "suffix";

    public override void CollectPromptText(JsonElement root, StringBuilder text)
    {
        if (root.TryGetProperty("prompt", out var prompt)) JsonFields.CollectText(prompt, text);
        if (root.TryGetProperty("suffix", out var suffix) && suffix.ValueKind == JsonValueKind.String) text.Append(' ').Append(JsonText.SafeString(suffix));
    }

    /// <summary>Prompts given as token ids: each id is one billed token.</summary>
    public override long PromptTokenIds(JsonElement root) =>
        root.TryGetProperty("prompt", out var prompt) ? JsonFields.CountNumbers(prompt) : 0;
}
