using System.CommandLine;
using System.Globalization;
using TokenOps.Core.Pricing;
using TokenOps.Gateway;
using TokenOps.Gateway.Configuration;
using TokenOps.Gateway.Pricing;

namespace TokenOps.Cli.Commands;

/// <summary>
/// `tokenops prices update|show`: fetch a newer catalog in LiteLLM's format, see what it changes, keep it versioned in
/// the data directory (StoredCatalogs), and see which prices are in force.
/// </summary>
internal static class PricesCommand
{
    public static Command Create() => new("prices", "The price catalog: update it from LiteLLM's (or any file or URL in its format), and see the one in force")
    {
        Update(),
        Show(),
    };

    private static Command Update()
    {
        var from = new Option<string?>("--from") { Description = $"A catalog file or http(s) URL in LiteLLM's format (default {CatalogSource.DefaultUrl})" };
        var dryRun = new Option<bool>("--dry-run") { Description = "Show what would change; store nothing" };
        var timeout = new Option<double>("--timeout") { Description = "Seconds to wait for a URL's whole answer", DefaultValueFactory = _ => CatalogSource.DefaultTimeout.TotalSeconds };
        var data = CommonOptions.Data();
        var config = CommonOptions.Config();
        var command = new Command("update", "Fetch a catalog, print what changed against the one in force, and store it as the new version (earlier versions are kept)")
            { from, dryRun, timeout, data, config };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var options = ConfigurationLoader.Load(parse.GetValue(config));
            var dataDirectory = parse.GetValue(data) ?? options.DataDirectory;
            var source = parse.GetValue(from) ?? CatalogSource.DefaultUrl;
            var seconds = parse.GetValue(timeout);
            if (seconds is <= 0 or > 3600) throw new CliException("--timeout must be between 0 and 3600 seconds", 2);

            byte[] bytes;
            try
            {
                bytes = await CatalogSource.ReadAsync(source, TimeSpan.FromSeconds(seconds), CatalogSource.DefaultMaxBytes, cancellationToken);
            }
            catch (CatalogSourceException ex)
            {
                throw new CliException($"cannot read the catalog: {ex.Message}; nothing changed");
            }
            var next = Validate(bytes, source, options);
            ActiveCatalog.Loaded current;
            try
            {
                current = ActiveCatalog.Load(dataDirectory);
            }
            catch (PriceCatalogException ex)
            {
                // A broken pointer must not block the update that repairs it: compare with the bundled catalog instead.
                await Console.Error.WriteLineAsync($"tokenops: warning: {ex.Message}; comparing with the bundled catalog");
                current = new ActiveCatalog.Loaded(BundledCatalog.Load(), null);
            }
            var diff = CatalogDiff.Compare(current.Catalog, next);

            Console.WriteLine($"In force: {Describe(current.Catalog, current.Stored)}");
            Console.WriteLine($"New:      {next.Version}, {next.PricedCount} priced models, from {source}");
            if (next.Version == current.Catalog.Version)
            {
                Console.WriteLine("No change: this catalog is already in force.");
                return 0;
            }
            PrintDiff(diff, next);
            if (parse.GetValue(dryRun))
            {
                Console.WriteLine("Dry run: nothing stored.");
                return 0;
            }
            var stored = new StoredCatalogs(dataDirectory).Store(bytes, next.Version, next.PricedCount, source, TimeProvider.System.GetUtcNow());
            using (var storage = CommonOptions.OpenStorage(dataDirectory, parse.GetValue(config)))
            {
                new TokenOps.Storage.Audit.AuditRecorder(storage.Audit, TimeProvider.System).Record("prices.update", "catalog",
                    new { Version = current.Catalog.Version },
                    new { next.Version, Source = source, Priced = next.PricedCount, File = stored.File });
            }
            Console.WriteLine($"Stored {Path.Combine(dataDirectory, "prices", stored.File)}; it is in force now (earlier versions are kept beside it).");
            Console.WriteLine("A gateway on this data directory prices with it within a second, without a restart; so do import and report.");
            return 0;
        });
        return command;
    }

    /// <summary>The new catalog must parse, price something, and take tokenops.json's overrides; otherwise nothing changes.</summary>
    private static PriceCatalog Validate(byte[] bytes, string source, GatewayOptions options)
    {
        PriceCatalog next;
        try
        {
            next = PriceCatalog.Load(bytes);
            PriceCatalog.Load(bytes, options.Prices);
        }
        catch (PriceCatalogException ex)
        {
            throw new CliException($"{source} is not a usable catalog in LiteLLM's format: {ex.Message}; nothing changed");
        }
        if (next.PricedCount == 0)
            throw new CliException($"{source} prices no model (no entry has input_cost_per_token and output_cost_per_token); nothing changed");
        return next;
    }

    private static void PrintDiff(CatalogDiff diff, PriceCatalog next)
    {
        var models = diff.Changed.Select(c => c.Model).Distinct(StringComparer.Ordinal).Count();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Changes: {diff.Added.Count} models added, {diff.Removed.Count} removed, {diff.Changed.Count} prices changed in {models} models ($ per million tokens)"));
        foreach (var model in diff.Added)
        {
            next.TryGet(model, out var p);
            Console.WriteLine($"  + {model}  input {Usd(p!.Input * 1_000_000m)}  output {Usd(p.Output * 1_000_000m)}");
        }
        foreach (var model in diff.Removed) Console.WriteLine($"  - {model}");
        foreach (var c in diff.Changed) Console.WriteLine($"  ~ {c.Model}  {c.Bucket}  {Usd(c.BeforePerMTok)} -> {Usd(c.AfterPerMTok)}");
    }

    private static Command Show()
    {
        var model = new Option<string?>("--model") { Description = "One model's prices (or the family estimate it would get)" };
        var data = CommonOptions.Data();
        var config = CommonOptions.Config();
        var command = new Command("show", "The catalog in force (stored version or bundled), its history, and one model's prices") { model, data, config };
        command.SetAction(parse =>
        {
            var options = ConfigurationLoader.Load(parse.GetValue(config));
            var dataDirectory = parse.GetValue(data) ?? options.DataDirectory;
            var loaded = ActiveCatalog.Load(dataDirectory, options.Prices);
            var store = new StoredCatalogs(dataDirectory);
            var baseCatalog = loaded.Stored is null ? BundledCatalog.Load() : PriceCatalog.Load(store.Read(loaded.Stored));
            Console.WriteLine($"Catalog in force: {Describe(baseCatalog, loaded.Stored)}");
            if (options.Prices.Count > 0)
                Console.WriteLine($"Overrides: {options.Prices.Count} model(s) from the configuration; rows record catalog version {loaded.Catalog.Version}");
            Console.WriteLine($"Family fallback: {(options.Pricing.FamilyFallback ? "on (a model the catalog lacks is priced as its family's newest known one, rows flagged price_estimated)" : "off (a model the catalog lacks is refused)")}");
            var history = store.History();
            if (history.Count > 0)
            {
                Console.WriteLine("History (oldest first):");
                foreach (var h in history)
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {h.StoredAt.UtcDateTime:yyyy-MM-dd HH:mm:ss}Z  {h.Version}  {h.PricedModels} priced models  from {h.Source}"));
            }
            if (parse.GetValue(model) is { } name) PrintModel(loaded.Catalog, name, options.Pricing.FamilyFallback);
            return 0;
        });
        return command;
    }

    private static void PrintModel(PriceCatalog catalog, string name, bool familyFallback)
    {
        if (catalog.TryGet(name, out var price) && price.IsPriced)
        {
            Console.WriteLine($"{price.Model} ({price.Provider}, {price.Mode ?? "-"}), $ per million tokens:");
            foreach (var (bucket, rate) in CatalogDiff.Buckets)
                if (rate(price) is { } r) Console.WriteLine($"  {bucket,-15} {Usd(r * 1_000_000m)}");
            return;
        }
        var sibling = catalog.FamilySiblings(name).FirstOrDefault();
        var state = price is null ? "is not in the catalog" : "is in the catalog without a price";
        if (sibling is null) Console.WriteLine($"{name} {state}, and no priced model of its family is: it is refused until it has a price.");
        else if (familyFallback) Console.WriteLine($"{name} {state}; the family fallback prices it as {sibling.Model} (input {Usd(sibling.Input * 1_000_000m)}, output {Usd(sibling.Output * 1_000_000m)}), rows flagged price_estimated.");
        else Console.WriteLine($"{name} {state}: it is refused. With familyFallback it would be priced as {sibling.Model}.");
    }

    private static string Describe(PriceCatalog catalog, StoredCatalog? stored) => stored is null
        ? $"{catalog.Version}, {catalog.PricedCount} priced models, bundled with this build"
        : string.Create(CultureInfo.InvariantCulture, $"{catalog.Version}, {catalog.PricedCount} priced models, stored {stored.StoredAt.UtcDateTime:yyyy-MM-dd HH:mm:ss}Z from {stored.Source}");

    private static string Usd(decimal? perMTok) =>
        perMTok is { } v ? "$" + v.ToString("0.######", CultureInfo.InvariantCulture) : "none";
}
