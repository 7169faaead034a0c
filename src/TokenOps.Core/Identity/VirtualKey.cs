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
}
