using TokenOps.Gateway.Configuration;
using TokenOps.Storage;

namespace TokenOps.Gateway.RateLimits;

/// <summary>Validates a rate limit given on the CLI with tokenops.json's bounds, and turns it into its stored form.</summary>
public static class StoredRateLimits
{
    public static StoredRateLimit From(RateLimitScope scope, long? requestsPerMinute, long? tokensPerMinute, long? concurrent)
    {
        if (requestsPerMinute is null && tokensPerMinute is null && concurrent is null)
            throw new ConfigurationException("limits set: give at least one of --rpm, --tpm, --concurrent");
        Check("--rpm", requestsPerMinute);
        Check("--tpm", tokensPerMinute);
        Check("--concurrent", concurrent);
        return new StoredRateLimit(scope.Id, requestsPerMinute, tokensPerMinute, concurrent, DateTimeOffset.UnixEpoch);
    }

    private static void Check(string option, long? value)
    {
        if (value is < 1 or > RateLimitRuleOptions.MaxBound)
            throw new ConfigurationException($"limits set: {option} must be between 1 and {RateLimitRuleOptions.MaxBound}, not {value}");
    }
}
