using System.CommandLine;
using TokenOps.Gateway.Configuration;
using TokenOps.Storage;

namespace TokenOps.Cli.Commands;

/// <summary>Options shared by several commands, so they read and default the same everywhere.</summary>
internal static class CommonOptions
{
    public const string DefaultDataDirectory = ".tokenops";

    public static Option<string?> Data() => new("--data") { Description = $"Data directory: the journal, and the ledger when storage.kind is sqlite (default {DefaultDataDirectory}, or dataDirectory in the config)" };

    public static Option<string?> Config() => new("--config") { Description = "Path to tokenops.json" };

    /// <summary>
    /// The stores for a command, from the same "storage" settings the gateway reads (tokenops.json when given, and the
    /// TOKENOPS_CONFIG__ environment overrides), in --data, else the config's dataDirectory, else ./.tokenops. A
    /// backend this build lacks fails here as a configuration error (exit 2), never as a silent SQLite.
    /// </summary>
    public static StorageSession OpenStorage(string? data, string? configPath)
    {
        var options = ConfigurationLoader.Load(configPath);
        return StorageSession.Open(options.Storage, data ?? options.DataDirectory);
    }
}
