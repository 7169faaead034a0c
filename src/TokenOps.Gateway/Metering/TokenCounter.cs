using Microsoft.ML.Tokenizers;

namespace TokenOps.Gateway.Metering;

/// <summary>
/// Tokenizer counts for estimates (when a provider reports no usage) and for sizing reservations before forwarding.
/// o200k for the GPT-4o/4.1/5 and o-series families, cl100k for everything else (a close, documented approximation
/// for Claude, Gemini and open models, whose tokenizers are not public or not bundled). Loaded once, lazily.
/// </summary>
public sealed class TokenCounter
{
    private readonly Lazy<Tokenizer> _o200k = new(() => TiktokenTokenizer.CreateForEncoding("o200k_base"));
    private readonly Lazy<Tokenizer> _cl100k = new(() => TiktokenTokenizer.CreateForEncoding("cl100k_base"));

    public int Count(string model, string text)
    {
        if (string.IsNullOrEmpty(text)) return 0;
        return TokenizerFor(model).CountTokens(text);
    }

    public string EncodingFor(string model) => UsesO200k(model) ? "o200k_base" : "cl100k_base";

    private Tokenizer TokenizerFor(string model) => UsesO200k(model) ? _o200k.Value : _cl100k.Value;

    private static bool UsesO200k(string model)
    {
        var m = model.AsSpan(model.LastIndexOf('/') + 1);
        return m.StartsWith("gpt-4o") || m.StartsWith("gpt-4.1") || m.StartsWith("gpt-5") || m.StartsWith("chatgpt")
            || (m.Length > 1 && m[0] == 'o' && char.IsAsciiDigit(m[1]));
    }
}
