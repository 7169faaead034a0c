using TokenOps.Gateway.Configuration;

namespace TokenOps.Gateway.Tests.Pricing;

/// <summary>The family fallback flag: "prices": { "familyFallback": true } as the issue spells it, or "pricing": { ... }.</summary>
public sealed class PricingConfigTests : IDisposable
{
    private readonly string _file = Path.Combine(Path.GetTempPath(), $"tokenops-pricing-{Guid.NewGuid():N}.json");

    private GatewayOptions Load(string json)
    {
        File.WriteAllText(_file, json);
        return ConfigurationLoader.Load(_file);
    }

    [Fact]
    public void The_flag_under_prices_is_a_flag_not_a_model_and_the_overrides_beside_it_still_bind()
    {
        var options = Load("""{ "prices": { "familyFallback": true, "my-model": { "inputPerMTok": 1, "outputPerMTok": 2 } } }""");
        Assert.True(options.Pricing.FamilyFallback);
        Assert.Equal(["my-model"], options.Prices.Keys);
        Assert.Equal(2m, options.Prices["my-model"].OutputPerMTok);
    }

    [Fact]
    public void The_pricing_section_sets_it_too_and_it_is_off_by_default()
    {
        Assert.True(Load("""{ "pricing": { "familyFallback": true } }""").Pricing.FamilyFallback);
        Assert.False(Load("""{ "prices": { "m": { "inputPerMTok": 1, "outputPerMTok": 2 } } }""").Pricing.FamilyFallback);
        Assert.True(Load("""{ "prices": { "familyFallback": true }, "pricing": { "familyFallback": true } }""").Pricing.FamilyFallback);
    }

    [Theory]
    [InlineData("""{ "prices": { "familyFallback": "yes" } }""", "prices.familyFallback must be true or false, not \"yes\"")]
    [InlineData("""{ "prices": { "familyFallback": { "on": true } } }""", "prices.familyFallback must be true or false, not an object")]
    [InlineData("""{ "prices": { "familyFallback": true }, "pricing": { "familyFallback": false } }""", "disagree")]
    [InlineData("""{ "pricing": { "familyFalback": true } }""", "familyFalback")]
    public void A_bad_flag_fails_in_one_line_naming_the_key(string json, string problem)
    {
        var ex = Assert.Throws<ConfigurationException>(() => Load(json));
        Assert.Contains(problem, ex.Message);
        Assert.DoesNotContain('\n', ex.Message);
    }

    public void Dispose() => File.Delete(_file);
}
