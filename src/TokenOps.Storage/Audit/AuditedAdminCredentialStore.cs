using TokenOps.Core.Identity;

namespace TokenOps.Storage.Audit;

/// <summary>Creating and revoking admin credentials leaves audit entries (name, scopes, prefix; never the secret).</summary>
public sealed class AuditedAdminCredentialStore(IAdminCredentialStore inner, AuditRecorder audit) : IAdminCredentialStore
{
    public (AdminCredential Credential, string Secret) Create(string name, IReadOnlyList<string> scopes)
    {
        var created = inner.Create(name, scopes);
        audit.Record("admin-credentials.create", "credential:" + name, null,
            new { created.Credential.Id, created.Credential.Name, created.Credential.Scopes, Prefix = created.Credential.DisplayPrefix });
        return created;
    }

    public bool Revoke(string name)
    {
        var before = inner.List().FirstOrDefault(c => c.Name == name && !c.IsRevoked);
        var revoked = inner.Revoke(name);
        if (revoked && before is not null)
            audit.Record("admin-credentials.revoke", "credential:" + name, new { before.Id, before.Name, before.Scopes, Revoked = false }, new { before.Id, before.Name, Revoked = true });
        return revoked;
    }

    public AdminCredential? FindBySecret(string secret) => inner.FindBySecret(secret);

    public IReadOnlyList<AdminCredential> List() => inner.List();
}
