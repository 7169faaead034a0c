namespace TokenOps.Core.Identity;

/// <summary>A virtual key as stored: never the key itself, only its hash and a short display prefix.</summary>
public sealed record VirtualKey(
    string Id,
    string Person,
    string Team,
    string DisplayPrefix,
    DateTimeOffset CreatedAt,
    DateTimeOffset? RevokedAt)
{
    public bool IsRevoked => RevokedAt is not null;

    /// <summary>person (a developer's own key) or automation (a CI bot, a nightly job); see <see cref="KeyKinds"/>.</summary>
    public string Kind { get; init; } = KeyKinds.Person;
    /// <summary>The person who answers for an automation key; null when nobody does (waste detection flags it).</summary>
    public string? Owner { get; init; }

    /// <summary>When the key stops working (null: never); a rotated key's is the end of its overlap.</summary>
    public DateTimeOffset? ExpiresAt { get; init; }

    /// <summary>The models the key may be served (exact names or globs such as <c>claude-*</c>); null: any.</summary>
    public ModelAllowList? Models { get; init; }

    /// <summary>The last time a gateway saw the key used (written in batches, so up to a few seconds late).</summary>
    public DateTimeOffset? LastUsedAt { get; init; }

    /// <summary>The key a rotation replaced this one with.</summary>
    public string? RotatedTo { get; init; }

    public bool IsExpired(DateTimeOffset now) => ExpiresAt is { } at && at <= now;
}

/// <summary>A key's model allow-list: exact model names, or globs where '*' stands for any run of characters.</summary>
public sealed class ModelAllowList
{
    private readonly string[] _patterns;

    private ModelAllowList(string[] patterns) => _patterns = patterns;

    public IReadOnlyList<string> Patterns => _patterns;

    /// <summary>The list from a comma-separated text ("gpt-4o-mini, claude-*"); null for none.</summary>
    public static ModelAllowList? Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        var patterns = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Distinct(StringComparer.Ordinal).ToArray();
        foreach (var p in patterns)
            if (p.Length > 200 || p.Any(c => char.IsControl(c) || char.IsWhiteSpace(c)))
                throw new ArgumentException($"'{p}' is not a model name or glob");
        return patterns.Length == 0 ? null : new ModelAllowList(patterns);
    }

    public override string ToString() => string.Join(",", _patterns);

    public bool Allows(string model)
    {
        foreach (var pattern in _patterns)
            if (Matches(pattern, model)) return true;
        return false;
    }

    /// <summary>Glob match with '*' only (no '?', no classes): model names are plain text.</summary>
    private static bool Matches(string pattern, string text)
    {
        int p = 0, t = 0, star = -1, mark = 0;
        while (t < text.Length)
        {
            if (p < pattern.Length && pattern[p] != '*' && pattern[p] == text[t]) { p++; t++; }
            else if (p < pattern.Length && pattern[p] == '*') { star = p++; mark = t; }
            else if (star >= 0) { p = star + 1; t = ++mark; }
            else return false;
        }
        while (p < pattern.Length && pattern[p] == '*') p++;
        return p == pattern.Length;
    }
}
