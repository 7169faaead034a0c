using System.Text;
using System.Text.Json;
using TokenOps.Gateway.Metering;

namespace TokenOps.Gateway.Protocols.OpenAI;

/// <summary>
/// POST /v1/moderations: forwarded, free at the provider, so recorded at $0 and never reserved. The model is optional
/// (the provider's default, <c>omni-moderation-latest</c>, routes and attributes the row when none is named).
/// </summary>
public sealed class ModerationsRoute : ProtocolRoute
{
    public const string DefaultModel = "omni-moderation-latest";
    public override string Name => "openai.moderations";
    public override string Path => "/v1/moderations";
    public override Dialect Dialect => Dialect.OpenAI;
    public override bool Billable => false;

    public override RequestFacts Read(JsonElement root)
    {
        var model = root.TryGetProperty("model", out var m) && m.ValueKind != JsonValueKind.Null ? JsonFields.RequiredModel(root) : DefaultModel;
        if (!root.TryGetProperty("input", out var input) || input.ValueKind is not (JsonValueKind.String or JsonValueKind.Array))
            throw GatewayException.BadRequest("missing_field", "The request body needs 'input' as a string or an array.", "input");
        return new RequestFacts(model, false, null, true);
    }

    public override UsageMeter CreateMeter(RequestFacts facts) => new FreeMeter();

    public override void CollectPromptText(JsonElement root, StringBuilder text)
    {
    }
}
