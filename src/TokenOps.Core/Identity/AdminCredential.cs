using System.Security.Cryptography;

namespace TokenOps.Core.Identity;

/// <summary>
/// A named admin credential with scopes, instead of one shared admin token: "tokcred_" + 43 base64url characters (256
/// bits), stored only as its SHA-256 hash. The shared token stays for bootstrapping (and holds every scope).
/// </summary>
public sealed record AdminCredential(string Id, string Name, IReadOnlyList<string> Scopes, string DisplayPrefix, DateTimeOffset CreatedAt, DateTimeOffset? RevokedAt)
{
    public bool IsRevoked => RevokedAt is not null;

    public bool Allows(string scope) => Scopes.Contains(scope, StringComparer.Ordinal);
}

/// <summary>The credential format (as <see cref="VirtualKeyFormat"/>, with its own prefix so the two are never confused).</summary>
public static class AdminCredentialFormat
{
    public const string Prefix = "tokcred_";

    public static string NewSecret()
    {
        Span<byte> bytes = stackalloc byte[32];
        RandomNumberGenerator.Fill(bytes);
        return Prefix + Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }

    public static bool LooksLikeCredential(string? value) => value is { Length: 51 } && value.StartsWith(Prefix, StringComparison.Ordinal);

    public static string Hash(string secret) => VirtualKeyFormat.Hash(secret);

    public static string Display(string secret) => secret[..12] + "…";
}

/// <summary>
/// What an admin credential may do. <see cref="Read"/>: every GET of the admin API; <see cref="Keys"/>: create and
/// revoke keys (people and teams with them); <see cref="Budgets"/>: set and delete budgets; <see cref="Outcomes"/>:
/// record outcomes. A write scope does not imply read.
/// </summary>
public static class AdminScopes
{
    public const string Read = "read";
    public const string Keys = "keys";
    public const string Budgets = "budgets";
    public const string Outcomes = "outcomes";
    public static readonly IReadOnlyList<string> All = [Read, Keys, Budgets, Outcomes];

    /// <summary>Parses "keys,read"; throws <see cref="ArgumentException"/> naming an unknown scope.</summary>
    public static IReadOnlyList<string> Parse(string list)
    {
        var scopes = list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(s => s.ToLowerInvariant()).Distinct().ToList();
        if (scopes.Count == 0) throw new ArgumentException($"give at least one scope ({string.Join(", ", All)})");
        foreach (var s in scopes)
            if (!All.Contains(s)) throw new ArgumentException($"'{s}' is not a scope ({string.Join(", ", All)})");
        return [.. scopes.Order(StringComparer.Ordinal)];
    }

    /// <summary>The scope an admin API call needs: reads need read; a write needs the scope of what it changes.</summary>
    public static string Required(string method, string path)
    {
        if (HttpMethodIsRead(method)) return Read;
        var rest = path.StartsWith("/admin/", StringComparison.OrdinalIgnoreCase) ? path["/admin/".Length..] : path;
        var resource = rest.Split('/', 2)[0].ToLowerInvariant();
        return resource switch
        {
            "keys" or "people" or "teams" => Keys,
            "budgets" => Budgets,
            "outcomes" => Outcomes,
            _ => "admin", // no credential has it: only the shared token may call an unscoped write
        };
    }

    private static bool HttpMethodIsRead(string method) => method is "GET" or "HEAD";
}
