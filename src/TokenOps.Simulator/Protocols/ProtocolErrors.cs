using System.Text.Json;
using Microsoft.AspNetCore.Http;
using TokenOps.Simulator.Infrastructure;

namespace TokenOps.Simulator.Protocols;

/// <summary>Error bodies in each protocol's own shape.</summary>
internal static class ProtocolErrors
{
    /// <summary>OpenAI: <c>{"error":{"message","type","param","code"}}</c>.</summary>
    public static async Task OpenAIAsync(HttpContext context, int status, string message, string? type = null, string? param = null, string? code = null)
    {
        var (defaultType, defaultCode) = status switch
        {
            400 => ("invalid_request_error", (string?)null),
            401 => ("invalid_request_error", "invalid_api_key"),
            403 => ("permission_error", null),
            404 => ("invalid_request_error", null),
            429 => ("requests", "rate_limit_exceeded"),
            >= 500 => ("server_error", null),
            _ => ("invalid_request_error", null),
        };

        using var buffer = new PooledBufferWriter(512);
        using (var json = new Utf8JsonWriter(buffer, JsonSettings.WriterOptions))
        {
            json.WriteStartObject();
            json.WriteStartObject("error"u8);
            json.WriteString("message"u8, message);
            json.WriteString("type"u8, type ?? defaultType);
            WriteNullableString(json, "param"u8, param);
            WriteNullableString(json, "code"u8, code ?? defaultCode);
            json.WriteEndObject();
            json.WriteEndObject();
        }

        await WriteAsync(context, status, buffer);
    }

    /// <summary>Anthropic: <c>{"type":"error","error":{"type","message"},"request_id"}</c>.</summary>
    public static async Task AnthropicAsync(HttpContext context, int status, string message, string? type = null)
    {
        using var buffer = new PooledBufferWriter(512);
        using (var json = new Utf8JsonWriter(buffer, JsonSettings.WriterOptions))
        {
            json.WriteStartObject();
            json.WriteString("type"u8, "error"u8);
            json.WriteStartObject("error"u8);
            json.WriteString("type"u8, type ?? AnthropicErrorType(status));
            json.WriteString("message"u8, message);
            json.WriteEndObject();
            json.WriteString("request_id"u8, context.Response.Headers["request-id"].ToString());
            json.WriteEndObject();
        }

        await WriteAsync(context, status, buffer);
    }

    public static string AnthropicErrorType(int status) => status switch
    {
        400 => "invalid_request_error",
        401 => "authentication_error",
        402 => "billing_error",
        403 => "permission_error",
        404 => "not_found_error",
        413 => "request_too_large",
        429 => "rate_limit_error",
        504 => "timeout_error",
        503 or 529 => "overloaded_error",
        >= 500 => "api_error",
        _ => "invalid_request_error",
    };

    public static string OpenAIFaultMessage(int status) => status switch
    {
        429 => "Rate limit reached for requests (simulated).",
        >= 500 => "The server had an error while processing your request. Sorry about that! (simulated)",
        _ => $"Simulated error {status}.",
    };

    public static string AnthropicFaultMessage(int status) => status switch
    {
        429 => "Number of requests has exceeded your rate limit (simulated).",
        503 or 529 => "Overloaded (simulated).",
        >= 500 => "Internal server error (simulated).",
        _ => $"Simulated error {status}.",
    };

    private static async Task WriteAsync(HttpContext context, int status, PooledBufferWriter buffer)
    {
        var response = context.Response;
        response.StatusCode = status;
        response.ContentType = "application/json";
        if (status is 429 or 503 or 529)
        {
            response.Headers.RetryAfter = "1";
        }

        await response.WriteBodyAsync(buffer.WrittenMemory, context.RequestAborted);
    }

    private static void WriteNullableString(Utf8JsonWriter json, ReadOnlySpan<byte> name, string? value)
    {
        if (value is null)
        {
            json.WriteNull(name);
        }
        else
        {
            json.WriteString(name, value);
        }
    }
}
