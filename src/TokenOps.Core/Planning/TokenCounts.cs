namespace TokenOps.Core.Planning;

/// <summary>
/// A tokenizer family: models that count the same text as the same number of tokens. <see cref="PerO200k"/> is how many
/// of this family's tokens one OpenAI o200k token of typical English prose and code becomes (an approximation: the
/// ratio moves with the language and the kind of text).
/// </summary>
public sealed record TokenizerFamily(string Name, decimal PerO200k, string Basis);

/// <summary>
/// Moving a request to a model of another family changes its token counts, not only its prices: the same prompt is
/// more tokens on Claude than on GPT-4o. These factors are approximate and documented so that a what-if says which one
/// it used. Sources: OpenAI's tiktoken encodings (o200k_base for GPT-4o, GPT-4.1, GPT-5 and the o-series; cl100k_base
/// for GPT-4, GPT-3.5 and the v3 embeddings); published side-by-side counts of the same prompts through Anthropic's
/// count_tokens and tiktoken, which find Claude's tokenizer 20-30 % above GPT-4o's on English and more on code
/// (Vantage, 2025: the midpoint, 1.25, is used); Google's "about 4 characters per token" for Gemini, the same rule of
/// thumb OpenAI gives, so Gemini is taken as equal. Anything else is taken as equal and flagged unknown.
/// </summary>
public static class TokenCounts
{
    public static readonly TokenizerFamily O200k = new("openai-o200k", 1.00m, "tiktoken o200k_base (reference)");
    public static readonly TokenizerFamily Cl100k = new("openai-cl100k", 1.05m, "tiktoken cl100k_base: about 5 % more tokens than o200k on English");
    public static readonly TokenizerFamily Claude = new("anthropic-claude", 1.25m, "Claude's tokenizer: 20-30 % more tokens than o200k for the same text (Vantage, 2025)");
    public static readonly TokenizerFamily Gemini = new("google-gemini", 1.00m, "Gemini SentencePiece: about 4 characters per token, taken as equal to o200k");
    public static readonly TokenizerFamily Unknown = new("unknown", 1.00m, "no published comparison: taken as equal to o200k");

    /// <summary>Every family, so storage can be asked for the boundaries of each.</summary>
    public static IReadOnlyList<TokenizerFamily> All { get; } = [O200k, Cl100k, Claude, Gemini, Unknown];

    /// <summary>The family of a model id (a provider prefix such as <c>bedrock/</c> or <c>anthropic.</c> is allowed).</summary>
    public static TokenizerFamily FamilyOf(string model)
    {
        var id = model.ToLowerInvariant();
        var slash = id.LastIndexOf('/');
        if (slash >= 0) id = id[(slash + 1)..];
        if (id.StartsWith("anthropic.", StringComparison.Ordinal)) id = id["anthropic.".Length..];
        if (id.StartsWith("claude", StringComparison.Ordinal)) return Claude;
        if (id.StartsWith("gemini", StringComparison.Ordinal)) return Gemini;
        if (id.StartsWith("gpt-4o", StringComparison.Ordinal) || id.StartsWith("chatgpt-4o", StringComparison.Ordinal)
            || id.StartsWith("gpt-4.1", StringComparison.Ordinal) || id.StartsWith("gpt-4.5", StringComparison.Ordinal)
            || id.StartsWith("gpt-5", StringComparison.Ordinal) || id.StartsWith("gpt-oss", StringComparison.Ordinal)
            || id.Length > 1 && id[0] == 'o' && char.IsAsciiDigit(id[1]))
            return O200k;
        if (id.StartsWith("gpt-4", StringComparison.Ordinal) || id.StartsWith("gpt-3.5", StringComparison.Ordinal)
            || id.StartsWith("text-embedding-3", StringComparison.Ordinal) || id.StartsWith("text-embedding-ada", StringComparison.Ordinal))
            return Cl100k;
        return Unknown;
    }

    /// <summary>Tokens on <paramref name="to"/> per token on <paramref name="from"/>: 1 within a family.</summary>
    public static decimal Factor(TokenizerFamily from, TokenizerFamily to) => from == to ? 1m : to.PerO200k / from.PerO200k;
}
