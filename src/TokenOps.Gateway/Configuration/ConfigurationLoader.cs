using System.Text.Json;
using Microsoft.Extensions.Configuration;

namespace TokenOps.Gateway.Configuration;

/// <summary>
/// Reads tokenops.json, then environment overrides (TOKENOPS_CONFIG__Section__Key), binds and validates.
/// Every problem becomes a <see cref="ConfigurationException"/> whose one-line message names the bad key.
/// </summary>
public static class ConfigurationLoader
{
    public const string EnvironmentPrefix = "TOKENOPS_CONFIG__";

    public static GatewayOptions Load(string? path)
    {
        var builder = new ConfigurationBuilder();
        if (path is not null)
        {
            var full = Path.GetFullPath(path);
            if (!File.Exists(full)) throw new ConfigurationException($"config file '{path}' does not exist");
            try
            {
                using var doc = JsonDocument.Parse(File.ReadAllBytes(full), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            }
            catch (JsonException ex)
            {
                throw new ConfigurationException($"{path}: not valid JSON ({ex.Message})");
            }
            builder.AddJsonFile(full, optional: false, reloadOnChange: false);
        }
        builder.AddEnvironmentVariables(EnvironmentPrefix);
        var options = new GatewayOptions();
        try
        {
            builder.Build().Bind(options, o => o.ErrorOnUnknownConfiguration = true);
        }
        catch (InvalidOperationException ex)
        {
            throw new ConfigurationException($"{path ?? "configuration"}: {Flatten(ex)}");
        }
        GatewayOptionsValidator.Validate(options, path ?? "configuration");
        return options;
    }

    private static string Flatten(Exception ex)
    {
        var message = ex.Message;
        for (var inner = ex.InnerException; inner is not null; inner = inner.InnerException) message += " " + inner.Message;
        return message.Replace(Environment.NewLine, " ", StringComparison.Ordinal);
    }
}

/// <summary>A configuration problem, described in one line that names the key.</summary>
public sealed class ConfigurationException(string message) : Exception(message);
