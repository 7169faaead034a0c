using TokenOps.Gateway.Configuration;
using TokenOps.Gateway.Routing;
using TokenOps.Gateway.Tests.Infrastructure;

namespace TokenOps.Gateway.Tests.Routing;

/// <summary>A bad router fails the start with the key named, never the first request that uses it.</summary>
public class RouterConfigurationTests
{
    private static async Task<string> StartFails(Action<RoutingOptions> configure)
    {
        var ex = await Assert.ThrowsAsync<ConfigurationException>(async () =>
        {
            await using var gateway = await GatewayFixture.StartAsync(o => configure(o.Routing));
        });
        return ex.Message;
    }

    private static RouterOptions Valid() => new() { Openai = ["gpt-4o-mini", "gpt-4o"] };

    [Fact]
    public async Task A_dial_out_of_range_names_the_key()
    {
        Assert.Contains("routing.routers.auto.strongShare must be between 0 and 1", await StartFails(r => r.Routers["auto"] = new RouterOptions { Openai = ["gpt-4o"], StrongShare = 1.5 }));
        Assert.Contains("routing.routers.auto.threshold must be between 0 and 1", await StartFails(r => r.Routers["auto"] = new RouterOptions { Openai = ["gpt-4o"], Threshold = -0.1 }));
        Assert.Contains("sets both threshold and strongShare", await StartFails(r => r.Routers["auto"] = new RouterOptions { Openai = ["gpt-4o"], Threshold = 0.5, StrongShare = 0.2 }));
    }

    [Fact]
    public async Task An_unknown_router_name_in_the_defaults_names_the_key()
    {
        var message = await StartFails(r =>
        {
            r.Routers["auto"] = Valid();
            r.Teams["payments"] = "cheap";
        });
        Assert.Contains("routing.teams.payments names router \"cheap\"", message);
        Assert.Contains("routing.tiers.junior names router \"x\"", await StartFails(r =>
        {
            r.Routers["auto"] = Valid();
            r.Tiers["junior"] = "x";
        }));
    }

    [Fact]
    public async Task A_candidate_without_a_price_or_of_the_other_protocol_names_the_key()
    {
        Assert.Contains("routing.routers.auto.openai[1] names \"no-such-model\"", await StartFails(r => r.Routers["auto"] = new RouterOptions { Openai = ["gpt-4o-mini", "no-such-model"] }));
        Assert.Contains("routing.routers.auto.openai[0] names \"claude-haiku-4-5\"", await StartFails(r => r.Routers["auto"] = new RouterOptions { Openai = ["claude-haiku-4-5"] }));
        Assert.Contains("routing.routers.auto has no candidates", await StartFails(r => r.Routers["auto"] = new RouterOptions()));
        Assert.Contains("routing.routers.a:b is not a valid router name", await StartFails(r => r.Routers["a:b"] = Valid()));
    }

    [Fact]
    public void Auto_names_are_recognised_and_nothing_else()
    {
        Assert.True(AutoRouters.IsAuto("auto"));
        Assert.True(AutoRouters.IsAuto("auto:coding"));
        Assert.False(AutoRouters.IsAuto("autopilot-1"));
        Assert.False(AutoRouters.IsAuto("gpt-4o"));
        Assert.False(AutoRouters.IsAuto("Auto"));
    }
}
