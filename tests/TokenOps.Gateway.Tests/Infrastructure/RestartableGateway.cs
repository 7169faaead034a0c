using Microsoft.Extensions.DependencyInjection;
using TokenOps.Gateway.Budgets;
using TokenOps.Gateway.Configuration;

namespace TokenOps.Gateway.Tests.Infrastructure;

/// <summary>
/// Gateways started one after another on one data directory against a fixture's simulator: a restart, as the
/// batch-lane and shared-hold tests need (the fixture's own gateway is not the one under test).
/// </summary>
public sealed class RestartableGateway(GatewayFixture fixture, Func<string, GatewayOptions> options, string purpose)
{
    public string DataDirectory { get; } = Path.Combine(Path.GetTempPath(), "tokenops-" + purpose, Guid.NewGuid().ToString("N"));

    /// <summary>A new gateway on the same data directory (dispose the previous one first for a restart).</summary>
    public Task<GatewayApp> StartAsync() => GatewayHost.StartAsync(new GatewaySettings
    {
        Options = options(DataDirectory), Urls = ["http://127.0.0.1:0"], SimulatorUrl = fixture.Simulator.Url,
        SimulatorTimeout = TimeSpan.FromSeconds(30), SimulatorApiKey = new Secret("sim-key"),
    });

    /// <summary>A team budget as the gateway reports it (shared counters read afresh from Redis).</summary>
    public static Core.Budgets.BudgetSnapshot Team(GatewayApp app, string team) =>
        Assert.Single(app.Services.GetRequiredService<BudgetEngine>().Current(), s => s.Name == team);
}
