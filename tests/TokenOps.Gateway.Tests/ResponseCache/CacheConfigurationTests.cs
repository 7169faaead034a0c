using TokenOps.Gateway.Configuration;

namespace TokenOps.Gateway.Tests.ResponseCache;

/// <summary>A bad "cache" section fails at start with the key named.</summary>
public sealed class CacheConfigurationTests
{
    [Theory]
    [InlineData("scope", "cache.exact.scope")]
    [InlineData("ttl", "cache.exact.ttlSeconds")]
    [InlineData("entry", "cache.exact.maxEntryBytes")]
    [InlineData("teamTotal", "cache.teams.core.exact.maxTotalBytes")]
    [InlineData("route", "cache.routes.openai.embeddings")]
    public void Bad_cache_settings_are_refused_naming_the_key(string bad, string key)
    {
        var options = new GatewayOptions();
        options.Cache.Exact = new ExactCacheOptions { Enabled = true };
        switch (bad)
        {
            case "scope": options.Cache.Exact.Scope = "company"; break;
            case "ttl": options.Cache.Exact.TtlSeconds = 0; break;
            case "entry": options.Cache.Exact.MaxEntryBytes = 10; break;
            case "teamTotal": options.Cache.Teams["core"] = new ResponseCacheLevelOptions { Exact = new ExactCacheOptions { MaxTotalBytes = 1 << 20 } }; break;
            case "route": options.Cache.Routes["openai.embeddings"] = new ResponseCacheLevelOptions(); break;
        }
        var ex = Assert.Throws<ConfigurationException>(() => GatewayOptionsValidator.Validate(options, "tokenops.json", serving: false));
        Assert.Contains(key, ex.Message);
    }
}
