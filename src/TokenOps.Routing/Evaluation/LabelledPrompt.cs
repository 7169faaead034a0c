namespace TokenOps.Routing.Evaluation;

/// <summary>One evaluation row: a prompt, where it came from (a domain such as "mmlu/formal_logic", or "gsm8k"), and
/// whether the weak and the strong model answered it correctly.</summary>
public sealed record LabelledPrompt(string Text, string Domain, bool WeakCorrect, bool StrongCorrect)
{
    /// <summary>What sending this prompt to the strong model gains: +1 (only the strong model is right), −1 (only the
    /// weak one is), 0 (they agree). A router ranks prompts by its expectation.</summary>
    public int Gain => (StrongCorrect ? 1 : 0) - (WeakCorrect ? 1 : 0);
}
