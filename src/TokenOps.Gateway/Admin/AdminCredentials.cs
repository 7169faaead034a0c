using System.Collections.Concurrent;
using TokenOps.Core.Identity;
using TokenOps.Storage;

namespace TokenOps.Gateway.Admin;

/// <summary>
/// Checks a named admin credential against the scope an admin API call needs (<see cref="AdminScopes.Required"/>).
/// Lookups are cached for a few seconds, as keys are: a revocation from the CLI applies within <see cref="CacheTtl"/>.
/// The request's changes are audited as "admin:&lt;name&gt;".
/// </summary>
public sealed class AdminCredentials(IAdminCredentialStore store, TimeProvider time)
{
    public static readonly TimeSpan CacheTtl = TimeSpan.FromSeconds(5);
    private const int MaxCached = 10_000;
    private readonly ConcurrentDictionary<string, (AdminCredential? Credential, DateTimeOffset Expires)> _cache = new(StringComparer.Ordinal);

    public IResult? Check(string secret, string method, string path, string origin)
    {
        var hash = AdminCredentialFormat.Hash(secret);
        var now = time.GetUtcNow();
        if (!_cache.TryGetValue(hash, out var cached) || cached.Expires < now)
        {
            cached = (store.FindBySecret(secret), now + CacheTtl);
            if (cached.Credential is not null)
            {
                if (_cache.Count >= MaxCached) _cache.Clear();
                _cache[hash] = cached;
            }
        }
        if (cached.Credential is not { } credential) return AdminEndpoints.Problem(401, "invalid_admin_credential", "Unknown admin credential.");
        if (credential.IsRevoked) return AdminEndpoints.Problem(401, "admin_credential_revoked", $"The admin credential '{credential.Name}' was revoked.");
        var needed = AdminScopes.Required(method, path);
        if (!credential.Allows(needed))
            return AdminEndpoints.Problem(403, "insufficient_scope",
                $"The admin credential '{credential.Name}' has scopes {string.Join(", ", credential.Scopes)}; {method} {path} needs '{needed}'.");
        TokenOps.Core.Audit.AuditActor.ForRequest("admin:" + credential.Name, origin);
        return null;
    }
}
