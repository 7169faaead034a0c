using System.CommandLine;
using TokenOps.Cli.Simulation;
using TokenOps.Gateway;
using TokenOps.Gateway.Configuration;
using TokenOps.Storage;

namespace TokenOps.Cli.Commands;

internal static class ServeCommand
{
    public static Command Create()
    {
        var config = CommonOptions.Config();
        var urls = new Option<string>("--urls") { Description = "Address to listen on", DefaultValueFactory = _ => "http://127.0.0.1:8080" };
        var data = CommonOptions.Data();
        var simulate = new Option<bool>("--simulate") { Description = "Serve every priced chat model from the built-in simulated provider (no provider keys needed)" };
        var command = new Command("serve", "Run the gateway and its admin API") { config, urls, data, simulate };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var configPath = parse.GetValue(config);
            var options = ConfigurationLoader.Load(configPath, serving: true);
            if (parse.GetValue(data) is { } dir) options.DataDirectory = dir;
            // Disposed after the gateway (declared first): in-flight requests drain before their provider stops.
            await using var simulator = parse.GetValue(simulate) ? await SimulatedProvider.StartAsync(cancellationToken: cancellationToken) : null;
            await using var gateway = await GatewayHost.StartAsync(new GatewaySettings
            {
                Options = options,
                ConfigPath = configPath,
                Urls = [parse.GetValue(urls)!],
                SimulatorUrl = simulator?.Url,
                MinimumLogLevel = LogLevel.Information,
            }, cancellationToken);
            Console.WriteLine($"TokenOps gateway listening on {gateway.BaseUrl} (ledger: {StorageSession.Describe(options.Storage, options.DataDirectory)})");
            var replayed = gateway.Services.GetRequiredService<TokenOps.Storage.Journal.LedgerWriter>().Replayed;
            if (replayed > 0) Console.WriteLine($"Replayed {replayed} ledger events left in the journal by an earlier run.");
            if (simulator is not null) Console.WriteLine($"Simulated provider on {simulator.Url}");
            // Runs until SIGTERM / Ctrl+C; the host then drains in-flight requests and the ledger writer flushes.
            await gateway.App.WaitForShutdownAsync(CancellationToken.None);
            return 0;
        });
        return command;
    }
}
