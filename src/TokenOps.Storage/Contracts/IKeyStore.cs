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

    /// <summary>People with the team each belongs to now (moves that took effect included).</summary>
    IReadOnlyList<(string Name, string Team)> People();

    IReadOnlyList<string> Teams();

    /// <summary>Sets a key's expiry and model allow-list (null clears either); false when no such key exists.</summary>
    bool SetLimits(string id, DateTimeOffset? expiresAt, ModelAllowList? models);

    /// <summary>
    /// Rotation: a new key for the same person, team, kind, owner and limits; the old key stays valid until
    /// <paramref name="oldExpiresAt"/> (or its own earlier expiry) and names the new one. Null when the old key does not
    /// exist or is revoked.
    /// </summary>
    (VirtualKey Key, string Secret)? Rotate(string id, DateTimeOffset oldExpiresAt);

    /// <summary>Records when keys were last used (a gateway's batch; a later time never goes back).</summary>
    void MarkUsed(IReadOnlyList<(string KeyId, DateTimeOffset At)> uses);

    /// <summary>
    /// Moves a person to another team from <paramref name="from"/> on (creating the team if new): requests from then on
    /// are attributed to it; rows already written keep the team they had.
    /// </summary>
    void MoveTeam(string person, string team, DateTimeOffset from);

    /// <summary>A person's team moves, oldest first.</summary>
    IReadOnlyList<TeamMove> TeamMoves(string person);
}

/// <summary>A person's move to <paramref name="Team"/>, effective from <paramref name="From"/>.</summary>
public sealed record TeamMove(string Person, string Team, DateTimeOffset From);
