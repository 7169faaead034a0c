namespace TokenOps.Core.Ledger;

/// <summary>
/// The client program behind a request, from its User-Agent: a handful of families, never the raw header (which can
/// carry versions and machine names nobody needs in a ledger).
/// </summary>
public static class ClientFamilies
{
    public const string ClaudeCode = "claude-code";
    public const string Codex = "codex";
    public const string OpenAIPython = "openai-python";
    public const string OpenAINode = "openai-node";
    public const string AnthropicSdk = "anthropic-sdk";
    public const string Curl = "curl";
    public const string Browser = "browser";
    public const string Other = "other";

    public static string Of(string? userAgent)
    {
        if (string.IsNullOrWhiteSpace(userAgent)) return Other;
        var ua = userAgent.AsSpan();
        if (Has(ua, "claude-cli") || Has(ua, "claude-code")) return ClaudeCode;
        if (Has(ua, "codex")) return Codex;
        if (Has(ua, "OpenAI/Python")) return OpenAIPython;
        if (Has(ua, "OpenAI/JS") || Has(ua, "openai-node")) return OpenAINode;
        if (Has(ua, "Anthropic/")) return AnthropicSdk;
        if (ua.StartsWith("curl/", StringComparison.OrdinalIgnoreCase)) return Curl;
        if (ua.StartsWith("Mozilla/", StringComparison.Ordinal)) return Browser;
        return Other;
    }

    private static bool Has(ReadOnlySpan<char> ua, string part) => ua.Contains(part, StringComparison.OrdinalIgnoreCase);
}
