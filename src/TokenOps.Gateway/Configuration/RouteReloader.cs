using TokenOps.Gateway.Pipeline;
using TokenOps.Gateway.Providers;

namespace TokenOps.Gateway.Configuration;

/// <summary>
/// Reloads models, providers and prices without a restart when tokenops.json changes or `tokenops prices update`
/// stores a new catalog (its pointer, DATA/prices/current.json, changes): the new router is built whole and swapped in
/// one reference write, so a request sees either the old routes or the new ones, never a mix. The files are polled
/// (editors and config managers replace files by rename, which file watchers often miss). A bad edit is logged in one
/// line and ignored: the running routes stay. Budgets apply too, and any other changed section is named in a warning
/// that says a restart applies it (<see cref="LiveSettings"/>).
/// </summary>
public sealed class RouteReloader(
    IReadOnlyList<string> watched,
    TimeSpan interval,
    Func<GatewayOptions> load,
    Func<GatewayOptions, ModelRouter> build,
    ModelRouterHolder holder,
    ILogger<RouteReloader> logger,
    Action<GatewayOptions>? alsoApply = null) : BackgroundService
{
    private (DateTime, long)[] _seen = [.. watched.Select(Stamp)];

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(interval);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                (DateTime, long)[] stamps = [.. watched.Select(Stamp)];
                if (stamps.SequenceEqual(_seen)) continue;
                _seen = stamps;
                TryReload();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>Loads and validates the configuration and the catalog, then swaps the router; false (and the old routes kept) on any problem.</summary>
    public bool TryReload()
    {
        try
        {
            var options = load();
            var next = build(options);
            holder.Swap(next);
            alsoApply?.Invoke(options);
            logger.LogInformation("Reloaded routes and prices from {Files} (catalog {Version})", string.Join(", ", watched), next.Catalog.Version);
            return true;
        }
        catch (Exception ex) when (ex is ConfigurationException or TokenOps.Core.Pricing.PriceCatalogException or IOException or UnauthorizedAccessException or KeyNotFoundException)
        {
            logger.LogWarning("Kept the running routes: {Problem}", ex.Message);
            return false;
        }
    }

    private static (DateTime, long) Stamp(string file)
    {
        try
        {
            var info = new FileInfo(file);
            return info.Exists ? (info.LastWriteTimeUtc, info.Length) : default;
        }
        catch (IOException)
        {
            return default;
        }
    }
}
