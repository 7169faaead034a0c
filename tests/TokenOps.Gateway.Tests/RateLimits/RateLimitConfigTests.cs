using TokenOps.Gateway.Configuration;
using TokenOps.Gateway.RateLimits;

namespace TokenOps.Gateway.Tests.RateLimits;

/// <summary>tokenops.json "rateLimits": bad values fail at start in one line naming the key; good ones become the rules in force.</summary>
public sealed class RateLimitConfigTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "tokenops-rate-limit-config", Guid.NewGuid().ToString("N"));

    public RateLimitConfigTests() => Directory.CreateDirectory(_dir);

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private string Write(string json)
    {
        var path = Path.Combine(_dir, "tokenops.json");
        File.WriteAllText(path, json);
        return path;
    }

    [Theory]
    [InlineData("""{"rateLimits":{"teams":{"payments":{"requestsPerMinute":0}}}}""", "rateLimits.teams.payments.requestsPerMinute must be between 1 and")]
    [InlineData("""{"rateLimits":{"people":{"ada":{"tokensPerMinute":-5}}}}""", "rateLimits.people.ada.tokensPerMinute must be between 1 and")]
    [InlineData("""{"rateLimits":{"keys":{"key_1":{"concurrent":1000000000001}}}}""", "rateLimits.keys.key_1.concurrent")]
    [InlineData("""{"rateLimits":{"defaultPerson":{"requestsPerMinute":null}}}""", "rateLimits.defaultPerson sets no limit")]
    [InlineData("""{"rateLimits":{"teams":{"core":{"rpm":60}}}}""", "rpm")]
    [InlineData("""{"rateLimits":{"teams":{" core":{"concurrent":2}}}}""", "rateLimits.teams names must be non-empty")]
    [InlineData("""{"rateLimits":{"people":{"a\u202Eb":{"concurrent":2}}}}""", "rateLimits.people: a name must not contain control or invisible characters")]
    [InlineData("""{"rateLimits":{"teams":{"core":{"requestsPerMinute":"many"}}}}""", "rateLimits.teams.core.requestsPerMinute must be a whole number, not \"many\"")]
    public void BadRateLimitConfig_FailsInOneLine_NamingTheKey(string json, string named)
    {
        var ex = Assert.Throws<ConfigurationException>(() => ConfigurationLoader.Load(Write(json)));
        Assert.Contains(named, ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', ex.Message);
    }

    [Fact]
    public void GoodConfig_BecomesTheRules_AndStoredRulesReplaceConfiguredOnesOfTheSameScope()
    {
        var options = ConfigurationLoader.Load(Write("""
            {"rateLimits":{
              "defaultPerson":{"requestsPerMinute":30},
              "people":{"ada":{"tokensPerMinute":50000,"concurrent":2}},
              "teams":{"payments":{"requestsPerMinute":60,"tokensPerMinute":100000,"concurrent":4}},
              "keys":{"tok_abcd":{"concurrent":1}}}}
            """));

        var policy = RateLimitPolicy.Build(options.RateLimits, [new StoredRateLimit("team:payments", 5, null, null, DateTimeOffset.UnixEpoch)], 7);

        Assert.Equal(7, policy.Version);
        Assert.Equal(["default:person", "key:tok_abcd", "person:ada", "team:payments"], policy.Rules.Select(r => r.Scope.Id));
        Assert.Equal(new RateLimitRule(new RateLimitScope(RateLimitLevel.Team, "payments"), 5, null, null, RateLimitRule.FromStore), policy.Rules[3]);
        Assert.Equal((50000L, 2L, "config"), (policy.Rules[2].TokensPerMinute!.Value, policy.Rules[2].Concurrent!.Value, policy.Rules[2].Source));

        // A key matched by its display prefix counts under its id; the person's own rule replaces the default.
        var key = new TokenOps.Core.Identity.VirtualKey("key_42", "ada", "payments", "tok_abcd…", DateTimeOffset.UnixEpoch, null);
        Assert.Equal(
            [new("key:key_42", null, null, 1), new("person:ada", null, 50000, 2), new("team:payments", 5, null, null)],
            policy.For(key));
        var other = key with { Id = "key_43", Person = "bo", Team = "ops", DisplayPrefix = "tok_zzzz…" };
        Assert.Equal([new TokenOps.Core.RateLimits.AppliedRateLimit("person:bo", 30, null, null)], policy.For(other));
    }
}
