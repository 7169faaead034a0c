using System.Text;
using System.Text.Json;
using TokenOps.Gateway.Metering;

namespace TokenOps.Gateway.Protocols;

/// <summary>
/// One proxied endpoint: how to read its requests, which fields TokenOps owns in them, and how to meter its
/// responses. The pipeline is the same for every route; only these answers differ.
/// </summary>
public abstract class ProtocolRoute
{
    /// <summary>Stable name used in the ledger, for example "openai.chat".</summary>
    public abstract string Name { get; }
    public abstract string Path { get; }
    public abstract Dialect Dialect { get; }

    /// <summary>False for endpoints the provider never bills (counting tokens): no reservation, a $0 row.</summary>
    public virtual bool Billable => true;

    /// <summary>False for endpoints that take a multipart form (audio uploads): <see cref="ReadForm"/> reads them, and
    /// the stages that work on JSON (output control, caches, routing by content) leave them alone.</summary>
    public virtual bool JsonBody => true;

    /// <summary>Validates the body and extracts what the pipeline needs. Throws <see cref="GatewayException"/>.</summary>
    public abstract RequestFacts Read(JsonElement root);

    /// <summary>The largest body this route reads, given the configured <c>maxRequestBodyBytes</c>.</summary>
    public virtual long MaxBodyBytes(long configured) => configured;

    /// <summary>A multipart route's <see cref="Read"/>.</summary>
    public virtual RequestFacts ReadForm(MultipartForm form) =>
        throw GatewayException.BadRequest("invalid_content_type", "This endpoint takes a JSON body.");

    /// <summary>The body to send upstream: the client's bytes with only TokenOps-owned fields changed.</summary>
    public virtual byte[] PrepareUpstreamBody(byte[] body, RequestFacts facts, string servedModel) =>
        servedModel == facts.Model ? body : JsonBodyPatcher.SetTopLevel(body, "model", JsonSerializer.Serialize(servedModel));

    public abstract UsageMeter CreateMeter(RequestFacts facts);

    /// <summary>The meter, for routes whose usage depends on how the served model is priced (per character, per second or in tokens).</summary>
    public virtual UsageMeter CreateMeter(RequestFacts facts, Providers.ModelRoute served) => CreateMeter(facts);

    /// <summary>The prompt text, for tokenizer estimates when the provider reports no usage.</summary>
    public abstract void CollectPromptText(JsonElement root, StringBuilder text);

    /// <summary>Fields whose string values are the prompt (counted as text; every other field is counted as its JSON).</summary>
    public virtual bool IsPromptField(string name) => name is "messages" or "input" or "instructions" or "system";

    /// <summary>Prompt tokens sent as ids rather than text (embeddings), added to the tokenizer's count of the text.</summary>
    public virtual long PromptTokenIds(JsonElement root) => 0;

    /// <summary>The prompt's tokens by TokenOps' tokenizer: its text counted, plus any prompt sent as token ids.</summary>
    public long CountPromptTokens(JsonElement root, Metering.TokenCounter tokens, string model)
    {
        var text = new StringBuilder();
        CollectPromptText(root, text);
        return tokens.Count(model, text.ToString()) + PromptTokenIds(root);
    }
}
