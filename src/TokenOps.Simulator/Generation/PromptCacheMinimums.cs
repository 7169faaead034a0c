namespace TokenOps.Simulator.Generation;

/// <summary>
/// The shortest prefix a model will cache, in tokens. Anthropic's figures are the catalog's
/// <c>prompt_cache_min_tokens</c> (LiteLLM, which follows Anthropic's prompt-caching guide: 4,096 for Opus 4.5/4.6 and
/// Haiku 4.5, 2,048 for Opus 4.7 and the Haiku 3 family, 512 for Opus 5 and Fable 5, 1,024 for the other Sonnet and
/// Opus models); a test holds this table to the bundled catalog. OpenAI caches prompts of 1,024 tokens or more.
/// </summary>
public static class PromptCacheMinimums
{
    public const int Default = 1024;

    // Longest prefix first: "claude-opus-4-5" must not be taken for "claude-opus-4".
    private static readonly (string Prefix, int Minimum)[] Anthropic =
    [
        ("claude-haiku-4-5", 4096),
        ("claude-opus-4-5", 4096),
        ("claude-opus-4-6", 4096),
        ("claude-opus-4-7", 2048),
        ("claude-3-5-haiku", 2048),
        ("claude-3-haiku", 2048),
        ("claude-opus-5", 512),
        ("claude-fable-5", 512),
    ];

    /// <summary>The minimum for a model name as clients send it (a dated snapshot takes its family's figure).</summary>
    public static int For(string model)
    {
        foreach (var (prefix, minimum) in Anthropic)
        {
            if (model.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            {
                return minimum;
            }
        }

        return Default;
    }
}
