using System.Text;
using System.Text.Json;
using TokenOps.Core.Metering;
using TokenOps.Gateway.Metering;

namespace TokenOps.Gateway.Protocols.Anthropic;

/// <summary>
/// POST /v1/messages/count_tokens (Anthropic): forwarded, free at the provider, so recorded at $0 and never reserved
/// (Claude Code calls it before its requests). Authenticated and attributed through the one pipeline like every route.
/// </summary>
public sealed class CountTokensRoute : ProtocolRoute
{
    public override string Name => "anthropic.count_tokens";
    public override string Path => "/v1/messages/count_tokens";
    public override Dialect Dialect => Dialect.Anthropic;
    public override bool Billable => false;

    public override RequestFacts Read(JsonElement root)
    {
        var model = JsonFields.RequiredModel(root);
        JsonFields.RequireArray(root, "messages");
        return new RequestFacts(model, false, null, true);
    }

    public override UsageMeter CreateMeter(RequestFacts facts) => new FreeMeter();

    public override void CollectPromptText(JsonElement root, StringBuilder text)
    {
    }
}
