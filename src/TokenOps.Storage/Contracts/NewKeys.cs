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
}
