using TokenOps.Gateway.Pipeline;
using TokenOps.Gateway.Providers;

namespace TokenOps.Gateway.Configuration;

/// <summary>
/// Reloads models, providers and prices when tokenops.json changes, without a restart: the new router is built
/// whole and swapped in one reference write, so a request sees either the old routes or the new ones, never a mix.
/// The file is polled (editors and config managers replace files by rename, which file watchers often miss).
/// A bad edit is logged in one line and ignored: the running routes stay. Other settings need a restart.
/// </summary>
public sealed class RouteReloader(
    string path,
    TimeSpan interval,
    Func<GatewayOptions, ModelRouter> build,
    ModelRouterHolder holder,
    ILogger<RouteReloader> logger) : BackgroundService
{
    private (DateTime, long) _seen = Stamp(path);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(interval);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                var stamp = Stamp(path);
                if (stamp == _seen) continue;
                _seen = stamp;
                TryReload();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>Loads and validates the file, then swaps the router; false (and the old routes kept) on any problem.</summary>
    public bool TryReload()
    {
        try
        {
            var next = build(ConfigurationLoader.Load(path));
            holder.Swap(next);
            logger.LogInformation("Reloaded routes and prices from {Path} (catalog {Version})", path, next.Catalog.Version);
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
