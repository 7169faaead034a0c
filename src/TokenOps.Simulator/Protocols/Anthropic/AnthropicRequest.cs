using System.Text.Json;
using Microsoft.AspNetCore.Http;
using TokenOps.Simulator.Infrastructure;

namespace TokenOps.Simulator.Protocols.Anthropic;

internal static class AnthropicRequest
{
    /// <summary>
    /// Sets the <c>request-id</c> header and checks the key (401 authentication_error) and
    /// <c>anthropic-version</c> (400 invalid_request_error, as the real API does). The key comes from
    /// <c>x-api-key</c> or <c>Authorization: Bearer</c> (the official .NET SDK 13.x sends its ApiKey as a bearer token).
    /// </summary>
    public static async Task<bool> AuthenticateAsync(HttpContext context, SimHost host)
    {
        context.Response.Headers["request-id"] = host.NewId("req_");
        var headers = context.Request.Headers;
        var key = headers["x-api-key"].ToString();
        if (key.Length == 0)
        {
            var authorization = headers.Authorization.ToString();
            if (authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            {
                key = authorization[7..].Trim();
            }
        }

        if (key.Length == 0)
        {
            await ProtocolErrors.AnthropicAsync(context, 401, "x-api-key header is required");
            return false;
        }

        if (host.Options.RequiredApiKey is { } required && key != required)
        {
            await ProtocolErrors.AnthropicAsync(context, 401, "invalid x-api-key");
            return false;
        }

        if (headers["anthropic-version"].ToString().Length == 0)
        {
            await ProtocolErrors.AnthropicAsync(context, 400, "anthropic-version: header is required");
            return false;
        }

        return true;
    }

    public static async Task<JsonDocument?> ParseAsync(HttpContext context, RequestBody body)
    {
        try
        {
            var document = JsonDocument.Parse(body.Memory, JsonSettings.DocumentOptions);
            if (document.RootElement.ValueKind == JsonValueKind.Object)
            {
                return document;
            }

            document.Dispose();
        }
        catch (JsonException)
        {
        }

        await ProtocolErrors.AnthropicAsync(context, 400, "There was an issue with your request body: the body is not a valid JSON object.");
        return null;
    }
}
