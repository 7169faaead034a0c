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

    public bool SetLimits(string id, DateTimeOffset? expiresAt, ModelAllowList? models)
    {
        var before = inner.FindById(id);
        var set = inner.SetLimits(id, expiresAt, models);
        if (set && before is not null)
            audit.Record("keys.limits", "key:" + id, new { before.Id, before.ExpiresAt, Models = before.Models?.ToString() },
                new { before.Id, ExpiresAt = expiresAt, Models = models?.ToString() });
        return set;
    }

    public (VirtualKey Key, string Secret)? Rotate(string id, DateTimeOffset oldExpiresAt)
    {
        var before = inner.FindById(id);
        var rotated = inner.Rotate(id, oldExpiresAt);
        if (rotated is { } r && before is not null)
            audit.Record("keys.rotate", "key:" + id, new { before.Id, before.ExpiresAt },
                new { before.Id, ExpiresAt = NewKeys.OverlapEnd(before, oldExpiresAt), RotatedTo = r.Key.Id, NewPrefix = r.Key.DisplayPrefix, NewExpiresAt = r.Key.ExpiresAt });
        return rotated;
    }

    /// <summary>Not a change to what governs spend: not audited (it would be one entry per key every few seconds).</summary>
    public void MarkUsed(IReadOnlyList<(string KeyId, DateTimeOffset At)> uses) => inner.MarkUsed(uses);

    public void MoveTeam(string person, string team, DateTimeOffset from)
    {
        var before = inner.People().FirstOrDefault(p => p.Name == person).Team;
        inner.MoveTeam(person, team, from);
        audit.Record("people.move", "person:" + person, new { Person = person, Team = before }, new { Person = person, Team = team, From = from });
    }

    public IReadOnlyList<TeamMove> TeamMoves(string person) => inner.TeamMoves(person);

    public VirtualKey? FindBySecret(string secret) => inner.FindBySecret(secret);

    public VirtualKey? FindById(string id) => inner.FindById(id);

    public IReadOnlyList<VirtualKey> List() => inner.List();

    public IReadOnlyList<(string Name, string Team)> People() => inner.People();

    public IReadOnlyList<string> Teams() => inner.Teams();
}
