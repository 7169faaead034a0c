using System.Security.Cryptography;

namespace TokenOps.Core.Identity;

/// <summary>
/// Virtual keys: "tok_" + 43 base64url characters (32 random bytes = 256 bits). The prefix makes them recognisable to
/// secret scanners; only the SHA-256 hash is stored (the key has full entropy, so a slow hash adds nothing).
/// </summary>
public static class VirtualKeyFormat
{
    public const string Prefix = "tok_";

    public static string NewKey()
    {
        Span<byte> bytes = stackalloc byte[32];
        RandomNumberGenerator.Fill(bytes);
        return Prefix + Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }

    public static bool LooksLikeKey(string? value) =>
        value is { Length: 47 } && value.StartsWith(Prefix, StringComparison.Ordinal);

    public static string Hash(string key) =>
        Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(key)));

    /// <summary>What may be shown after creation: the prefix and four characters.</summary>
    public static string Display(string key) => key[..8] + "…";
}
