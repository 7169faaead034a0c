using TokenOps.Gateway;
using TokenOps.Simulator;

namespace TokenOps.Cli.Simulation;

/// <summary>
/// The built-in simulated provider, started in-process on its own loopback port for `serve --simulate` and `demo`.
/// The CLI composes it; the gateway only gets its base URL (<see cref="GatewaySettings.SimulatorUrl"/>) and reaches it
/// over real HTTP like any provider.
/// </summary>
public sealed class SimulatedProvider : IAsyncDisposable
{
    private SimulatedProvider(WebApplication app, Uri url)
    {
        App = app;
        Url = url;
    }

    public WebApplication App { get; }
    public Uri Url { get; }
    public IServiceProvider Services => App.Services;

    public static async Task<SimulatedProvider> StartAsync(SimulatorOptions? options = null, CancellationToken cancellationToken = default)
    {
        var app = SimulatorApp.Build(options ?? new SimulatorOptions(), "http://127.0.0.1:0");
        await app.StartAsync(cancellationToken);
        return new SimulatedProvider(app, new Uri(GatewayHost.BoundAddress(app)));
    }

    public async ValueTask DisposeAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
    }
}
