using TokenOps.Core.Identity;

namespace TokenOps.Storage;

/// <summary>Named, scoped admin credentials; only hashes are stored, the clear credential is shown once.</summary>
public interface IAdminCredentialStore
{
    /// <summary>Creates a credential; throws <see cref="InvalidOperationException"/> when the name is taken.</summary>
    (AdminCredential Credential, string Secret) Create(string name, IReadOnlyList<string> scopes);

    /// <summary>The credential whose clear text is <paramref name="secret"/> (revoked or not), or null.</summary>
    AdminCredential? FindBySecret(string secret);

    IReadOnlyList<AdminCredential> List();

    /// <summary>Revokes the credential with this name; false when none is active under it.</summary>
    bool Revoke(string name);
}
