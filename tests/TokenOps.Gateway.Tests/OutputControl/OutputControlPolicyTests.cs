using TokenOps.Gateway.Configuration;
using TokenOps.Gateway.OutputControl;

namespace TokenOps.Gateway.Tests.OutputControl;

/// <summary>Each setting comes from the most specific level that gives it: team, then tier, then route, then the top level.</summary>
public sealed class OutputControlPolicyTests
{
    private static readonly OutputControlPolicy Policy = new(new OutputControlOptions
    {
        MaxTokens = new MaxTokensOptions { Default = 1024, Cap = 8192 },
        Reasoning = new ReasoningOptions { MaxEffort = "medium", MaxBudgetTokens = 8000 },
        Routes = { ["openai.responses"] = new() { MaxTokens = new() { Default = 2048 } } },
        Tiers = { ["junior"] = new() { MaxTokens = new() { Cap = 4096 }, Reasoning = new() { MaxEffort = "low" } } },
        Teams = { ["research"] = new() { MaxTokens = new() { Cap = 32000, Default = 4096 }, Reasoning = new() { MaxEffort = "high" } } },
    });

    [Fact]
    public void TopLevel_AppliesToEveryone()
    {
        Assert.Equal(new OutputLimits(1024, 8192, "medium", 8000), Policy.For("openai.chat", null, "core"));
    }

    [Fact]
    public void Route_OverridesTheTopLevel_OnlyForWhatItSets()
    {
        Assert.Equal(new OutputLimits(2048, 8192, "medium", 8000), Policy.For("openai.responses", null, "core"));
    }

    [Fact]
    public void Tier_OverridesTheRoute()
    {
        Assert.Equal(new OutputLimits(2048, 4096, "low", 8000), Policy.For("openai.responses", "junior", "core"));
    }

    [Fact]
    public void Team_OverridesTheTier()
    {
        Assert.Equal(new OutputLimits(4096, 32000, "high", 8000), Policy.For("openai.responses", "junior", "research"));
    }

    [Fact]
    public void ADefaultAboveTheCapInForce_IsLoweredToTheCap()
    {
        var policy = new OutputControlPolicy(new OutputControlOptions
        {
            MaxTokens = new MaxTokensOptions { Default = 4096 },
            Teams = { ["interns"] = new() { MaxTokens = new() { Cap = 1024 } } },
        });
        Assert.Equal(new OutputLimits(1024, 1024, null, null), policy.For("openai.chat", null, "interns"));
    }

    [Fact]
    public void NothingConfigured_NothingApplies()
    {
        var policy = new OutputControlPolicy(new OutputControlOptions());
        Assert.True(policy.IsEmpty);
        Assert.True(policy.For("openai.chat", "junior", "core").IsEmpty);
    }
}
