using System.Text;
using Microsoft.AspNetCore.Http;

namespace TokenOps.Simulator.Protocols;

/// <summary>
/// The <c>leak</c> fault (test-only): what a careless provider sends back, so a test can check what a proxy lets through.
/// </summary>
internal static class LeakFault
{
    /// <summary>Account identity and cookies a provider may send, next to headers a client legitimately needs.</summary>
    public static void AddIdentityHeaders(HttpContext context)
    {
        var headers = context.Response.Headers;
        headers.Append("Set-Cookie", "__cf_bm=sim-provider-session; path=/; HttpOnly");
        headers["openai-organization"] = "org-sim-operator";
        headers["openai-project"] = "proj_sim_operator";
        headers["anthropic-organization-id"] = "8c3e0f5a-sim-operator";
        headers["x-ratelimit-remaining-requests"] = "499";
        headers["anthropic-ratelimit-requests-remaining"] = "49";
        headers["openai-processing-ms"] = "12";
    }

    /// <summary>An invalid-key message quoting the key received (whole, and head and tail as providers mask it) and every request header.</summary>
    public static string Message(HttpContext context)
    {
        var headers = context.Request.Headers;
        var key = headers["x-api-key"].ToString();
        var authorization = headers.Authorization.ToString();
        if (key.Length == 0 && authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) key = authorization[7..].Trim();
        var masked = key.Length > 20 ? key[..10] + "****" + key[^10..] : key;
        var message = new StringBuilder($"Incorrect API key provided: {key} ({masked}). Received headers:");
        foreach (var (name, values) in headers) message.Append(' ').Append(name.ToLowerInvariant()).Append('=').Append(values.ToString()).Append(';');
        return message.ToString();
    }
}
