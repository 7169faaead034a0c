using System.Security.Cryptography;
using System.Text;

namespace TokenOps.Gateway.Outcomes;

/// <summary>HMAC-SHA256 webhook signatures ("sha256=&lt;hex&gt;" as GitHub sends, or bare hex as Linear sends), checked in constant time.</summary>
public static class WebhookSignature
{
    /// <summary>The header value GitHub would send for <paramref name="body"/>: "sha256=" + lower-case hex HMAC.</summary>
    public static string Sign(string secret, ReadOnlySpan<byte> body) =>
        "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body));

    /// <summary>True when <paramref name="presented"/> is the HMAC-SHA256 of the body under the secret. Missing or malformed: false.</summary>
    public static bool Verify(string secret, ReadOnlySpan<byte> body, string? presented)
    {
        if (string.IsNullOrWhiteSpace(presented)) return false;
        var hex = presented.Trim();
        if (hex.StartsWith("sha256=", StringComparison.OrdinalIgnoreCase)) hex = hex[7..];
        if (hex.Length != 64) return false;
        byte[] given;
        try
        {
            given = Convert.FromHexString(hex);
        }
        catch (FormatException)
        {
            return false;
        }
        var expected = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body);
        return CryptographicOperations.FixedTimeEquals(expected, given);
    }

    /// <summary>
    /// True when <paramref name="presented"/> has a signature's shape ("sha256=" optional, 64 hex digits): checked from the
    /// header before the body is read, so an unsigned call costs nothing.
    /// </summary>
    public static bool IsWellFormed(string? presented)
    {
        if (string.IsNullOrWhiteSpace(presented)) return false;
        var hex = presented.AsSpan().Trim();
        if (hex.StartsWith("sha256=", StringComparison.OrdinalIgnoreCase)) hex = hex[7..];
        return hex.Length == 64 && !hex.ContainsAnyExcept("0123456789abcdefABCDEF");
    }

    /// <summary>A shared secret sent as-is in a header (for tools that cannot sign), compared in constant time.</summary>
    public static bool SharedSecretMatches(string secret, string? presented)
    {
        if (string.IsNullOrEmpty(presented)) return false;
        return CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(presented)), SHA256.HashData(Encoding.UTF8.GetBytes(secret)));
    }
}
