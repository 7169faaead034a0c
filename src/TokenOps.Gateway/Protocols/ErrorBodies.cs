using System.Text.Json;

namespace TokenOps.Gateway.Protocols;

/// <summary>Error bodies exactly as each provider shapes them, so that the official SDKs raise their usual exceptions.</summary>
public static class ErrorBodies
{
    public static byte[] Write(Dialect dialect, int status, string code, string message, string? param = null, Budgets.BudgetRefusal? budget = null,
        Core.RateLimits.RateLimitRefusal? rateLimit = null)
    {
        using var buffer = new MemoryStream(256);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            if (dialect == Dialect.Anthropic)
            {
                w.WriteString("type", "error");
                w.WriteStartObject("error");
                w.WriteString("type", AnthropicType(status));
                w.WriteString("message", message);
                w.WriteString("code", code);
                WriteBudget(w, budget);
                WriteRateLimit(w, rateLimit);
                w.WriteEndObject();
            }
            else
            {
                w.WriteStartObject("error");
                w.WriteString("message", message);
                w.WriteString("type", OpenAIType(status));
                if (param is null) w.WriteNull("param"); else w.WriteString("param", param);
                w.WriteString("code", code);
                WriteBudget(w, budget);
                WriteRateLimit(w, rateLimit);
                w.WriteEndObject();
            }
            w.WriteEndObject();
        }
        return buffer.ToArray();
    }

    /// <summary>Extra fields inside the error object; SDKs ignore unknown fields, and clients that care can read them.</summary>
    private static void WriteBudget(Utf8JsonWriter w, Budgets.BudgetRefusal? budget)
    {
        if (budget is null) return;
        w.WriteString("budget", budget.Budget);
        w.WriteNumber("spent_usd", budget.SpentUsd);
        w.WriteNumber("reserved_usd", budget.ReservedUsd);
        w.WriteNumber("limit_usd", budget.LimitUsd);
        w.WriteString("resets_at", budget.ResetsAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture));
    }

    private static void WriteRateLimit(Utf8JsonWriter w, Core.RateLimits.RateLimitRefusal? limit)
    {
        if (limit is null) return;
        w.WriteString("limit_scope", limit.Scope);
        w.WriteString("limit_kind", Core.RateLimits.RateLimitKindNames.Name(limit.Kind));
        w.WriteNumber("limit", limit.Limit);
        w.WriteNumber("retry_after_seconds", limit.RetryAfterSeconds);
    }

    private static string OpenAIType(int status) => status switch
    {
        401 => "authentication_error",
        402 => "insufficient_quota",
        403 => "permission_error",
        404 => "not_found_error",
        429 => "rate_limit_error",
        >= 500 => "server_error",
        _ => "invalid_request_error",
    };

    private static string AnthropicType(int status) => status switch
    {
        401 => "authentication_error",
        402 => "billing_error",
        403 => "permission_error",
        404 => "not_found_error",
        413 => "request_too_large",
        429 => "rate_limit_error",
        504 => "timeout_error",
        529 => "overloaded_error",
        >= 500 => "api_error",
        _ => "invalid_request_error",
    };
}
