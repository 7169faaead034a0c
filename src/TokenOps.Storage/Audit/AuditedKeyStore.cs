using TokenOps.Core.Identity;

namespace TokenOps.Storage.Audit;

/// <summary>
/// Every change to keys, people and teams leaves an audit entry (never the clear key: its id and display prefix).
/// Reads pass through untouched, so authentication costs nothing extra.
/// </summary>
public sealed class AuditedKeyStore(IKeyStore inner, AuditRecorder audit) : IKeyStore
{
    public (VirtualKey Key, string Secret) Create(string person, string team, string kind = KeyKinds.Person, string? owner = null)
    {
        var newPerson = !inner.People().Any(p => p.Name == person);
        var created = inner.Create(person, team, kind, owner);
        audit.Record("keys.create", "key:" + created.Key.Id, null,
            new { created.Key.Id, created.Key.Person, created.Key.Team, Prefix = created.Key.DisplayPrefix, NewPerson = newPerson, created.Key.Kind, created.Key.Owner });
        return created;
    }

    public bool Revoke(string id)
    {
        var before = inner.FindById(id);
        var revoked = inner.Revoke(id);
        if (revoked && before is not null)
            audit.Record("keys.revoke", "key:" + id, new { before.Id, before.Person, Revoked = before.IsRevoked }, new { before.Id, before.Person, Revoked = true });
        return revoked;
    }

    public VirtualKey? FindBySecret(string secret) => inner.FindBySecret(secret);

    public VirtualKey? FindById(string id) => inner.FindById(id);

    public IReadOnlyList<VirtualKey> List() => inner.List();

    public IReadOnlyList<(string Name, string Team)> People() => inner.People();

    public IReadOnlyList<string> Teams() => inner.Teams();
}
