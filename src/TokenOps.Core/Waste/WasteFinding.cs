namespace TokenOps.Core.Waste;

/// <summary>
/// What a detector found: who, what, the evidence rows (ledger ids, never text), the dollars wasted in the period with
/// the formula that gives them, and a concrete fix. Visibility without blame: the person is named so that they (and
/// their lead) can act, and the dashboard shows a developer only their own findings.
/// </summary>
public sealed record WasteFinding
{
    public required string Detector { get; init; }
    public string? Person { get; init; }
    public string? Team { get; init; }
    /// <summary>The ledger rows that show the pattern.</summary>
    public required IReadOnlyList<string> Rows { get; init; }
    public required decimal WastedUsd { get; init; }
    /// <summary>How <see cref="WastedUsd"/> was computed, in words and numbers.</summary>
    public required string Formula { get; init; }
    public required string Fix { get; init; }
    /// <summary>What the finding is about, in one line (a model, a key, a session, a budget).</summary>
    public string? Subject { get; init; }
}
