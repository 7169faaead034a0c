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

    /// <summary>A shared secret sent as-is in a header (for tools that cannot sign), compared in constant time.</summary>
    public static bool SharedSecretMatches(string secret, string? presented)
    {
        if (string.IsNullOrEmpty(presented)) return false;
        return CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(presented)), SHA256.HashData(Encoding.UTF8.GetBytes(secret)));
    }
}
