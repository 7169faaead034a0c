using TokenOps.Core.Identity;

namespace TokenOps.Storage;

/// <summary>A new virtual key for a person and team, checked and made the same way whichever store keeps it.</summary>
internal static class NewKeys
{
    /// <summary>Refuses empty or unsafe names; returns the record (id, display prefix) and the clear key, to be shown once.</summary>
    public static (VirtualKey Key, string Secret) For(string person, string team, DateTimeOffset now, string kind = KeyKinds.Person, string? owner = null)
    {
        if (!KeyKinds.IsValid(kind)) throw new ArgumentException($"kind must be '{KeyKinds.Person}' or '{KeyKinds.Automation}', not '{kind}'", nameof(kind));
        if (owner is not null && kind != KeyKinds.Automation) throw new ArgumentException("only an automation key has an owner", nameof(owner));
        if (owner is not null) Names.Check("owner", owner);
        if (string.IsNullOrWhiteSpace(person)) throw new ArgumentException("person must not be empty", nameof(person));
        if (string.IsNullOrWhiteSpace(team)) throw new ArgumentException("team must not be empty", nameof(team));
        Names.Check("person", person);
        Names.Check("team", team);
        var secret = VirtualKeyFormat.NewKey();
        return (new VirtualKey("key_" + Guid.NewGuid().ToString("N")[..12], person, team, VirtualKeyFormat.Display(secret), now, null) { Kind = kind, Owner = owner }, secret);
    }

    /// <summary>When a rotated key stops: the end of the overlap, or its own expiry if that comes first.</summary>
    public static DateTimeOffset OverlapEnd(VirtualKey old, DateTimeOffset overlapEnd) =>
        old.ExpiresAt is { } own && own < overlapEnd ? own : overlapEnd;

    /// <summary>
    /// A rotation's new key: the old one's person, team, kind, owner and model allow-list, with a new secret and id, and
    /// the same lifetime as the old key had (counted from now) when it had one.
    /// </summary>
    public static (VirtualKey Key, string Secret) Successor(VirtualKey old, DateTimeOffset now)
    {
        var (key, secret) = For(old.Person, old.Team, now, old.Kind, old.Owner);
        return (key with { ExpiresAt = old.ExpiresAt is { } e ? now + (e - old.CreatedAt) : null, Models = old.Models }, secret);
    }
}

/// <summary>The refusals every key store words the same way.</summary>
internal static class KeyStoreMessages
{
    public static string OtherTeam(string person, string current, string asked) =>
        $"person '{person}' belongs to team '{current}', not '{asked}'; to move them: tokenops people move {person} --team {asked} --from <date>";

    public static string UnknownPerson(string person) => $"no person '{person}' (people are added with their first key)";
}
