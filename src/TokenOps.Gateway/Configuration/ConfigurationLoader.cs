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

    /// <param name="serving">True for the gateway itself: the provider and metrics secrets the configuration names must be
    /// set. Reading commands (status, budgets list, reports) run without them.</param>
    public static GatewayOptions Load(string? path, bool serving = false)
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
        var source = path ?? "configuration";
        try
        {
            IConfiguration root = builder.Build();
            var familyFallback = TakeFamilyFallbackFlag(ref root, source);
            ConfigurationKeyCheck.Check(root, typeof(GatewayOptions), source);
            root.Bind(options, o => o.ErrorOnUnknownConfiguration = true);
            if (familyFallback is { } on)
            {
                if (root["Pricing:FamilyFallback"] is not null && options.Pricing.FamilyFallback != on)
                    throw new ConfigurationException($"{source}: prices.familyFallback and pricing.familyFallback disagree; give one of them");
                options.Pricing.FamilyFallback = on;
            }
        }
        catch (InvalidOperationException ex)
        {
            throw new ConfigurationException($"{source}: {Flatten(ex)}");
        }
        GatewayOptionsValidator.Validate(options, path ?? "configuration", serving);
        return options;
    }

    /// <summary>
    /// "prices": { "familyFallback": true } (the spelling issue 17 asked for) is a flag, not a model: it is read here and
    /// taken out of the configuration the binder sees, which would otherwise bind it as a price override.
    /// </summary>
    private static bool? TakeFamilyFallbackFlag(ref IConfiguration root, string source)
    {
        var flag = root.GetSection("Prices").GetChildren()
            .FirstOrDefault(c => string.Equals(c.Key, PricingOptions.PricesKey, StringComparison.OrdinalIgnoreCase));
        if (flag is null) return null;
        if (flag.GetChildren().Any() || !bool.TryParse(flag.Value, out var on))
            throw new ConfigurationException($"{source}: prices.familyFallback must be true or false, not {(flag.Value is null ? "an object" : $"\"{flag.Value}\"")}");
        var path = flag.Path;
        root = new ConfigurationBuilder().AddInMemoryCollection(root.AsEnumerable().Where(kv =>
            !string.Equals(kv.Key, path, StringComparison.OrdinalIgnoreCase) &&
            !kv.Key.StartsWith(path + ConfigurationPath.KeyDelimiter, StringComparison.OrdinalIgnoreCase))).Build();
        return on;
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
