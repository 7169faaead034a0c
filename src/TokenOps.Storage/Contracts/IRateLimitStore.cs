namespace TokenOps.Storage;

/// <summary>
/// Rate limits set from the CLI (tokenops.json holds the rest), one per scope. Every change bumps
/// <see cref="Version"/>, so gateways on the same store see it by polling.
/// </summary>
public interface IRateLimitStore
{
    long Version();

    /// <summary>Every stored limit, ordered by scope (ordinal).</summary>
    IReadOnlyList<StoredRateLimit> List();

    /// <summary>Inserts or replaces the limit of this scope.</summary>
    void Set(StoredRateLimit limit);

    /// <summary>False (and no version change) when no limit has this scope.</summary>
    bool Delete(string scope);
}

/// <summary>
/// A stored rate limit: its scope ("key:ID", "person:NAME", "team:NAME" or "default:person") and its bounds, each
/// optional (null: not limited). <see cref="UpdatedAt"/> is the store's clock at the last set.
/// </summary>
public sealed record StoredRateLimit(string Scope, long? RequestsPerMinute, long? TokensPerMinute, long? Concurrent, DateTimeOffset UpdatedAt);
