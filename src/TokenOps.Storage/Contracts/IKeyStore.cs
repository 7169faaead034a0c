using TokenOps.Core.Identity;

namespace TokenOps.Storage;

/// <summary>Teams, people and their virtual keys. Keys are stored only as hashes; the clear key is shown once.</summary>
public interface IKeyStore
{
    /// <summary>
    /// Creates a key for a person (creating the person and team if new); returns the record and the clear key. An
    /// automation key (<paramref name="kind"/> "automation") may name the person who answers for it.
    /// </summary>
    (VirtualKey Key, string Secret) Create(string person, string team, string kind = KeyKinds.Person, string? owner = null);

    /// <summary>The key whose clear text is <paramref name="secret"/> (revoked or not: callers check), or null.</summary>
    VirtualKey? FindBySecret(string secret);

    /// <summary>The key with this id (revoked or not), or null.</summary>
    VirtualKey? FindById(string id);

    IReadOnlyList<VirtualKey> List();

    /// <summary>Revokes a key; false when no such key exists.</summary>
    bool Revoke(string id);

    IReadOnlyList<(string Name, string Team)> People();

    IReadOnlyList<string> Teams();
}
