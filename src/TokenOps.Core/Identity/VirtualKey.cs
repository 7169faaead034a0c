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
}
