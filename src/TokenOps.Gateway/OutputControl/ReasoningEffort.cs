namespace TokenOps.Gateway.OutputControl;

/// <summary>
/// OpenAI's reasoning effort levels, least to most: none &lt; minimal &lt; low &lt; medium &lt; high &lt; xhigh. A ceiling is one of
/// minimal, low, medium or high; a client's level is compared against it, and one the gateway does not know is left for the
/// provider to judge.
/// </summary>
public static class ReasoningEffort
{
    private static readonly string[] Order = ["none", "minimal", "low", "medium", "high", "xhigh"];

    public static readonly IReadOnlyList<string> Ceilings = ["minimal", "low", "medium", "high"];

    public static bool IsCeiling(string effort) => Ceilings.Contains(effort, StringComparer.Ordinal);

    /// <summary>The level's rank, or -1 for a value that is not a known level.</summary>
    public static int Rank(string effort) => Array.IndexOf(Order, effort);

    /// <summary>Whether <paramref name="asked"/> is a known level above <paramref name="ceiling"/> (so it must be lowered).</summary>
    public static bool Exceeds(string asked, string ceiling) => Rank(asked) > Rank(ceiling) && Rank(ceiling) >= 0;
}
