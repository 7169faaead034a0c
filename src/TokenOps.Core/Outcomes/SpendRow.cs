namespace TokenOps.Core.Outcomes;

/// <summary>The few ledger columns outcome linking needs, read as a stream (never the whole ledger in memory).</summary>
public readonly record struct SpendRow(
    string Id,
    DateTimeOffset StartedAt,
    string? Person,
    string? Team,
    string? Project,
    string? Feature,
    string? Ticket,
    string? PullRequest,
    string? Tags,
    long CostNanos)
{
    /// <summary>The value of tag <paramref name="key"/> in "k=v,k2=v2", or null.</summary>
    public string? Tag(string key)
    {
        if (string.IsNullOrEmpty(Tags)) return null;
        foreach (var part in Tags.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var eq = part.IndexOf('=');
            if (eq > 0 && part.AsSpan(0, eq).Trim().Equals(key, StringComparison.OrdinalIgnoreCase))
            {
                var value = part[(eq + 1)..].Trim();
                return value.Length == 0 ? null : value;
            }
        }
        return null;
    }
}
