using System.Text.Json;
using TokenOps.Gateway.Configuration;
using TokenOps.Gateway.Tests.Infrastructure;
using static TokenOps.Gateway.Tests.ResponseCache.CacheHttp;

namespace TokenOps.Gateway.Tests.ResponseCache;

/// <summary>
/// The semantic cache through the real gateway: a paraphrase is answered from the stored answer (header semantic, a
/// free row naming its source and saving what the source cost, the provider not called); a near miss (a flipped switch,
/// another order number), another team and a team that has it off all go to the provider.
/// </summary>
public sealed class SemanticCacheTests
{
    [Fact]
    public async Task A_paraphrase_is_served_from_the_stored_answer_and_near_misses_are_not()
    {
        await using var gateway = await GatewayFixture.StartAsync(o =>
        {
            o.Cache.Exact = new ExactCacheOptions { Enabled = true };
            o.Cache.Semantic = new SemanticCacheOptions { Enabled = true };
            o.Cache.Teams["strict"] = new ResponseCacheLevelOptions { Semantic = new SemanticCacheOptions { Enabled = false } };
        });
        var ada = gateway.CreateKey("ada", "payments");
        var first = await ChatAsync(gateway, ada, Chat("How do I reset my password?"));
        Assert.Equal(("miss", 200), (first.Cache, first.Status));
        var billed = gateway.Bill.Entries.Count;

        var paraphrase = await ChatAsync(gateway, ada, Chat("How can I reset my password?"));
        Assert.Equal(("semantic", 200), (paraphrase.Cache, paraphrase.Status));
        Assert.Equal(billed, gateway.Bill.Entries.Count);
        var text = (string body) => JsonDocument.Parse(body).RootElement.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString();
        Assert.Equal(text(first.Body), text(paraphrase.Body));
        var rows = await gateway.LedgerAsync(2);
        var source = rows.Single(r => r.Id == first.RequestId);
        var hit = rows.Single(r => r.Id == paraphrase.RequestId);
        Assert.Equal(("semantic", source.Id, 0L), (hit.CacheHit, hit.CacheSourceId, hit.CostNanos));
        Assert.Equal(source.CostNanos, hit.Savings.NanosOf(TokenOps.Core.Savings.SavingsLevers.CacheHit));

        // Near misses: the switch flipped, another order, another team, a team with the semantic cache off.
        await ChatAsync(gateway, ada, Chat("Please turn on dark mode in my account settings."));
        Assert.Equal("miss", (await ChatAsync(gateway, ada, Chat("Please turn off dark mode in my account settings."))).Cache);
        await ChatAsync(gateway, ada, Chat("Refund order 1234 to the original card."));
        Assert.Equal("miss", (await ChatAsync(gateway, ada, Chat("Refund order 1235 to the original card."))).Cache);
        Assert.Equal("miss", (await ChatAsync(gateway, gateway.CreateKey("bob", "growth"), Chat("How can I reset my password?"))).Cache);
        var strict = gateway.CreateKey("cy", "strict");
        await ChatAsync(gateway, strict, Chat("How do I rotate an API key?"));
        Assert.Equal("miss", (await ChatAsync(gateway, strict, Chat("How can I rotate an API key?"))).Cache);
    }

    [Fact]
    public void A_threshold_out_of_range_is_refused_naming_the_key()
    {
        var options = new GatewayOptions();
        options.Cache.Teams["t"] = new ResponseCacheLevelOptions { Semantic = new SemanticCacheOptions { Enabled = true, Threshold = 0.2 } };
        var ex = Assert.Throws<ConfigurationException>(() => GatewayOptionsValidator.Validate(options, "tokenops.json", serving: false));
        Assert.Contains("cache.teams.t.semantic.threshold", ex.Message);
    }
}
