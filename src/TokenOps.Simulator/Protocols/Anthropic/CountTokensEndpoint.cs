using System.Text.Json;
using Microsoft.AspNetCore.Http;
using TokenOps.Simulator.Generation;
using TokenOps.Simulator.Infrastructure;

namespace TokenOps.Simulator.Protocols.Anthropic;

/// <summary>
/// <c>POST /v1/messages/count_tokens</c>: <c>{"input_tokens": N}</c>, the input a Messages request with the same body
/// would report (same rules, cached prefix included). Free, like the real endpoint: nothing goes on the bill.
/// </summary>
internal sealed class CountTokensEndpoint(SimHost host)
{
    public async Task HandleAsync(HttpContext context)
    {
        if (!await AnthropicRequest.AuthenticateAsync(context, host))
        {
            return;
        }

        using var body = await RequestBody.ReadAsync(context.Request, context.RequestAborted);
        using var document = await AnthropicRequest.ParseAsync(context, body);
        if (document is null)
        {
            return;
        }

        var root = document.RootElement;
        if (root.StringProp("model"u8) is not { Length: > 0 } model)
        {
            await ProtocolErrors.AnthropicAsync(context, 400, "model: Field required");
            return;
        }

        if (root.Prop("messages"u8) is not { ValueKind: JsonValueKind.Array } messages || messages.GetArrayLength() == 0)
        {
            await ProtocolErrors.AnthropicAsync(context, 400, "messages: Field required");
            return;
        }

        var input = UsageRules.AnthropicMessages(root, model, 1).InputTotal;
        context.Response.ContentType = "application/json";
        context.Response.Headers["request-id"] = host.NewId("req_");
        await context.Response.WriteAsync($"{{\"input_tokens\":{input}}}", context.RequestAborted);
    }
}
