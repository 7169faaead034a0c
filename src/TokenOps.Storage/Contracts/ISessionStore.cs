namespace TokenOps.Storage;

/// <summary>
/// Dashboard sessions, in the shared database so that every replica behind a load balancer knows them: a sign-in on
/// one is valid on all, and a sign-out or a key's revocation ends it on all at the next call. Only a hash of the
/// session token is stored, never the token.
/// </summary>
public interface ISessionStore
{
    /// <summary>
    /// Stores a new session, within bounds, in one transaction: expired sessions go first; a principal at
    /// <paramref name="maxPerPrincipal"/> loses its oldest; a full table (<paramref name="maxTotal"/>) costs the
    /// principal its oldest, or refuses (false) a principal that has none.
    /// </summary>
    bool Add(StoredSession session, DateTimeOffset now, int maxPerPrincipal, int maxTotal);

    /// <summary>The session with this token hash, unless it is missing or expired at <paramref name="now"/>.</summary>
    StoredSession? Find(string tokenHash, DateTimeOffset now);

    void Remove(string tokenHash);

    /// <summary>Ends every session of a principal (a revoked key); returns how many.</summary>
    int RemovePrincipal(string principal);
}

/// <summary>A dashboard session as stored: who it is (the viewer's role and scope), whose it is, until when.</summary>
public sealed record StoredSession(string TokenHash, string Principal, string Role, string? Person, string? Team, bool Transparency,
    string? KeyId, DateTimeOffset CreatedAt, DateTimeOffset ExpiresAt);
