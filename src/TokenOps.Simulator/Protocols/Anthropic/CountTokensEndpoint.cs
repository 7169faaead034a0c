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
        using var request = await AnthropicRequest.ReadAsync(context, host);
        if (request is null || !await AnthropicRequest.HasMessagesAsync(context, request.Root))
        {
            return;
        }

        var input = UsageRules.AnthropicMessages(request.Root, request.Model, 1).InputTotal;
        context.Response.ContentType = "application/json";
        context.Response.Headers["request-id"] = host.NewId("req_");
        await context.Response.WriteAsync($"{{\"input_tokens\":{input}}}", context.RequestAborted);
    }
}
