using System.Text;
using System.Text.Json;
using TokenOps.Gateway.Metering;

namespace TokenOps.Gateway.Protocols.OpenAI;

/// <summary>POST /v1/embeddings: never streamed; usage.prompt_tokens is all there is.</summary>
public sealed class EmbeddingsRoute : ProtocolRoute
{
    public override string Name => "openai.embeddings";
    public override string Path => "/v1/embeddings";
    public override Dialect Dialect => Dialect.OpenAI;

    public override RequestFacts Read(JsonElement root)
    {
        var model = JsonFields.RequiredModel(root);
        if (!root.TryGetProperty("input", out var input) || input.ValueKind is not (JsonValueKind.String or JsonValueKind.Array))
            throw GatewayException.BadRequest("missing_field", "The request body needs 'input' as a string or an array.", "input");
        if (JsonFields.OptionalBool(root, "stream"))
            throw GatewayException.BadRequest("invalid_value", "Embeddings cannot be streamed.", "stream");
        return new RequestFacts(model, false, null, true);
    }

    public override UsageMeter CreateMeter(RequestFacts facts) => new ChatCompletionsMeter(true);

    public override void CollectPromptText(JsonElement root, StringBuilder text)
    {
        if (root.TryGetProperty("input", out var input)) JsonFields.CollectText(input, text);
    }

    /// <summary>Inputs given as token ids (<c>[1, 2, 3]</c> or <c>[[1, 2], [3]]</c>): each id is one billed token, and no text.</summary>
    public override long PromptTokenIds(JsonElement root) =>
        root.TryGetProperty("input", out var input) ? JsonFields.CountNumbers(input) : 0;
}
