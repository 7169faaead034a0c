using System.CommandLine;
using TokenOps.Simulator;

namespace TokenOps.Cli.Commands;

internal static class SimulatorCommand
{
    public static Command Create()
    {
        var urls = new Option<string>("--urls") { Description = "Address to listen on", DefaultValueFactory = _ => "http://127.0.0.1:9090" };
        var command = new Command("simulator", "Run the simulated OpenAI/Anthropic provider on its own") { urls };
        command.SetAction(async (parse, cancellationToken) =>
        {
            await using var app = SimulatorApp.Build(new SimulatorOptions(), parse.GetValue(urls)!);
            await app.StartAsync(cancellationToken);
            Console.WriteLine($"Simulated provider listening on {string.Join(", ", app.Urls)}");
            await app.WaitForShutdownAsync(CancellationToken.None);
            return 0;
        });
        return command;
    }
}
