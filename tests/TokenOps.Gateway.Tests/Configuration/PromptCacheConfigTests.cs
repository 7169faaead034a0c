using TokenOps.Gateway.Configuration;
using TokenOps.Gateway.PromptCache;

namespace TokenOps.Gateway.Tests.Configuration;

/// <summary>tokenops.json "promptCache": off by default, on per team or route, the most specific level wins; bad keys fail at start.</summary>
public sealed class PromptCacheConfigTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "tokenops-pcache-config", Guid.NewGuid().ToString("N"));

    public PromptCacheConfigTests() => Directory.CreateDirectory(_dir);

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private GatewayOptions Load(string json)
    {
        var path = Path.Combine(_dir, "tokenops.json");
        File.WriteAllText(path, json);
        return ConfigurationLoader.Load(path);
    }

    [Fact]
    public void OffUnlessTurnedOn_ThenTeamBeatsRouteBeatsTheTopLevel()
    {
        var off = new PromptCachePolicy(Load("{}").PromptCache);
        Assert.True(off.IsOff);
        Assert.Null(off.For("anthropic.messages", "payments"));

        var policy = new PromptCachePolicy(Load("""
            {"promptCache":{"ttl":"1h",
              "routes":{"anthropic.messages":{"enabled":true},"openai.chat":{"enabled":false}},
              "teams":{"payments":{"enabled":true,"ttl":"5m"},"growth":{"enabled":false}}}}
            """).PromptCache);
        Assert.False(policy.IsOff);
        Assert.Equal(new PromptCacheHelp("1h"), policy.For("anthropic.messages", "platform"));
        Assert.Equal(new PromptCacheHelp("5m"), policy.For("anthropic.messages", "payments"));
        Assert.Equal(new PromptCacheHelp("5m"), policy.For("openai.chat", "payments"));
        Assert.Null(policy.For("anthropic.messages", "growth"));
        Assert.Null(policy.For("openai.chat", "platform"));
        Assert.Null(policy.For("openai.responses", "platform"));
        Assert.Null(policy.For("openai.embeddings", "payments"));
    }

    [Theory]
    [InlineData("""{"promptCache":{"ttl":"2h"}}""", "promptCache.ttl")]
    [InlineData("""{"promptCache":{"routes":{"openai.embeddings":{"enabled":true}}}}""", "promptCache.routes.openai.embeddings")]
    [InlineData("""{"promptCache":{"routes":{"anthropic.messages":{"ttl":"10m"}}}}""", "promptCache.routes.anthropic.messages.ttl")]
    [InlineData("""{"promptCache":{"teams":{"payments":{"ttl":"1d"}}}}""", "promptCache.teams.payments.ttl")]
    [InlineData("""{"promptCache":{"teams":{" payments":{"enabled":true}}}}""", "promptCache.teams")]
    [InlineData("""{"promptCache":{"enabeld":true}}""", "enabeld")]
    public void BadSettings_FailInOneLine_NamingTheKey(string json, string named)
    {
        var ex = Assert.Throws<ConfigurationException>(() => Load(json));
        Assert.Contains(named, ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', ex.Message);
    }
}
