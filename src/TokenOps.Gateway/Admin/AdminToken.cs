using System.Security.Cryptography;
using System.Text;

namespace TokenOps.Gateway.Admin;

/// <summary>The admin API's bearer token, read from the environment variable the config names; compared in constant time.</summary>
public sealed class AdminToken(string environmentVariable)
{
    public string EnvironmentVariable { get; } = environmentVariable;

    public bool IsConfigured => !string.IsNullOrEmpty(Environment.GetEnvironmentVariable(EnvironmentVariable));

    public bool Matches(string? presented)
    {
        var expected = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (string.IsNullOrEmpty(expected) || presented is null) return false;
        // Hash both sides first so the comparison time depends on neither length nor content.
        return CryptographicOperations.FixedTimeEquals(
            SHA256.HashData(Encoding.UTF8.GetBytes(presented)), SHA256.HashData(Encoding.UTF8.GetBytes(expected)));
    }
}
