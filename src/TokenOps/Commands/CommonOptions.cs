using System.CommandLine;
using TokenOps.Gateway.Configuration;

namespace TokenOps.Cli.Commands;

/// <summary>Options shared by several commands, so they read and default the same everywhere.</summary>
internal static class CommonOptions
{
    public const string DefaultDataDirectory = ".tokenops";

    public static Option<string?> Data() => new("--data") { Description = $"Data directory holding the SQLite ledger and journal (default {DefaultDataDirectory}, or dataDirectory in the config)" };

    public static Option<string?> Config() => new("--config") { Description = "Path to tokenops.json" };

    /// <summary>The data directory: --data, else the config's dataDirectory, else ./.tokenops.</summary>
    public static string ResolveData(string? data, string? configPath)
    {
        if (data is not null) return data;
        if (configPath is not null) return ConfigurationLoader.Load(configPath).DataDirectory;
        return DefaultDataDirectory;
    }
}
