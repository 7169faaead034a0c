using TokenOps.Gateway.Configuration;
using TokenOps.Storage;

namespace TokenOps.Gateway.RateLimits;

/// <summary>Validates a rate limit given on the CLI the same way as tokenops.json, and turns it into its stored form.</summary>
public static class StoredRateLimits
{
    public static StoredRateLimit From(RateLimitScope scope, long? requestsPerMinute, long? tokensPerMinute, long? concurrent)
    {
        var rule = new RateLimitRuleOptions { RequestsPerMinute = requestsPerMinute, TokensPerMinute = tokensPerMinute, Concurrent = concurrent };
        try
        {
            rule.Validate("limits set", "the limit");
        }
        catch (ConfigurationException ex)
        {
            // "limits set: the limit.requestsPerMinute must be ..." reads badly on a command line: name the option instead.
            throw new ConfigurationException(ex.Message.Replace("the limit.requestsPerMinute", "--rpm", StringComparison.Ordinal)
                .Replace("the limit.tokensPerMinute", "--tpm", StringComparison.Ordinal).Replace("the limit.concurrent", "--concurrent", StringComparison.Ordinal)
                .Replace("give requestsPerMinute, tokensPerMinute or concurrent", "give --rpm, --tpm or --concurrent", StringComparison.Ordinal));
        }
        return new StoredRateLimit(scope.Id, requestsPerMinute, tokensPerMinute, concurrent, DateTimeOffset.UnixEpoch);
    }
}
