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

    /// <summary>
    /// The entry step both Messages endpoints share: key and version, body, JSON object, a model. Writes the error and
    /// returns null when any of them fails; the caller disposes the input.
    /// </summary>
    public static async Task<AnthropicInput?> ReadAsync(HttpContext context, SimHost host)
    {
        if (!await AuthenticateAsync(context, host))
        {
            return null;
        }

        var body = await RequestBody.ReadAsync(context.Request, context.RequestAborted);
        var document = await ParseAsync(context, body);
        if (document?.RootElement.StringProp("model"u8) is { Length: > 0 } model)
        {
            return new AnthropicInput(body, document, model);
        }

        if (document is not null)
        {
            await ProtocolErrors.AnthropicAsync(context, 400, "model: Field required");
        }

        document?.Dispose();
        body.Dispose();
        return null;
    }

    /// <summary>A non-empty <c>messages</c> array, or the API's 400 (written) and false.</summary>
    public static async Task<bool> HasMessagesAsync(HttpContext context, JsonElement root)
    {
        if (root.Prop("messages"u8) is { ValueKind: JsonValueKind.Array } messages && messages.GetArrayLength() > 0)
        {
            return true;
        }

        await ProtocolErrors.AnthropicAsync(context, 400, "messages: Field required");
        return false;
    }

    /// <summary>
    /// Extended thinking as the API checks it: an enabled budget of at least 1,024 tokens and below max_tokens (the
    /// interleaved-thinking beta lifts the second rule; the simulator does not model it), or the API's 400 (written) and false.
    /// </summary>
    public static async Task<bool> ThinkingFitsAsync(HttpContext context, JsonElement root, long maxTokens)
    {
        if (root.Prop("thinking"u8) is not { ValueKind: JsonValueKind.Object } thinking || thinking.StringProp("type"u8) != "enabled")
        {
            return true;
        }

        if (thinking.Prop("budget_tokens"u8) is not { ValueKind: JsonValueKind.Number } budgetValue || !budgetValue.TryGetInt64(out var budget))
        {
            await ProtocolErrors.AnthropicAsync(context, 400, "thinking.enabled.budget_tokens: Field required");
            return false;
        }

        if (budget < 1024)
        {
            await ProtocolErrors.AnthropicAsync(context, 400, "thinking.enabled.budget_tokens: Input should be greater than or equal to 1024");
            return false;
        }

        if (budget >= maxTokens)
        {
            await ProtocolErrors.AnthropicAsync(context, 400, "`max_tokens` must be greater than `thinking.budget_tokens`.");
            return false;
        }

        return true;
    }
}

/// <summary>A parsed Anthropic request: the pooled body and the document over it live and die together.</summary>
internal sealed class AnthropicInput(RequestBody body, JsonDocument document, string model) : IDisposable
{
    public JsonElement Root => document.RootElement;

    public string Model { get; } = model;

    public void Dispose()
    {
        document.Dispose();
        body.Dispose();
    }
}
