using TokenOps.Core.Identity;

namespace TokenOps.Storage.Tests.Audit;

/// <summary>What every <see cref="IAdminCredentialStore"/> must do: hashes only, unique names, revocation that frees the name.</summary>
public abstract class AdminCredentialStoreConformanceTests
{
    protected abstract IAdminCredentialStore Store { get; }

    [Fact]
    public virtual void Create_then_find_by_secret_with_its_scopes_and_never_the_secret_in_a_listing()
    {
        var (credential, secret) = Store.Create("ops-bot", [AdminScopes.Keys, AdminScopes.Read]);
        Assert.True(AdminCredentialFormat.LooksLikeCredential(secret));
        var found = Store.FindBySecret(secret);
        Assert.Equal((credential.Id, "ops-bot"), (found?.Id, found?.Name));
        Assert.Equal([AdminScopes.Keys, AdminScopes.Read], found!.Scopes);
        Assert.Null(Store.FindBySecret(AdminCredentialFormat.NewSecret()));
        // A listing shows the prefix and four characters, never enough of the secret to use it.
        Assert.Equal(secret[..12] + "…", Assert.Single(Store.List()).DisplayPrefix);
    }

    [Fact]
    public virtual void A_name_is_unique_until_its_credential_is_revoked()
    {
        var (_, first) = Store.Create("finance", [AdminScopes.Read]);
        Assert.Throws<InvalidOperationException>(() => Store.Create("finance", [AdminScopes.Read]));
        Assert.True(Store.Revoke("finance"));
        Assert.False(Store.Revoke("finance"));
        Assert.True(Store.FindBySecret(first)!.IsRevoked);
        var (_, second) = Store.Create("finance", [AdminScopes.Read, AdminScopes.Budgets]);
        Assert.False(Store.FindBySecret(second)!.IsRevoked);
        Assert.Equal(2, Store.List().Count);
    }
}
