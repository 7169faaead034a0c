using TokenOps.Gateway.Configuration;
using TokenOps.Storage;

namespace TokenOps.Gateway.RateLimits;

/// <summary>
/// The rate limits in force: tokenops.json plus the stored rules. <see cref="RefreshIfChanged"/> swaps in a new
/// policy when the store's version moved (`tokenops limits set|remove`, possibly from another process).
/// </summary>
public sealed class RateLimitEngine
{
    private readonly RateLimitOptions _options;
    private readonly IRateLimitStore _store;
    private readonly ILogger<RateLimitEngine> _logger;
    private readonly object _reloadGate = new();
    private volatile RateLimitPolicy _policy = RateLimitPolicy.Empty;

    public RateLimitEngine(GatewayOptions options, IRateLimitStore store, ILogger<RateLimitEngine> logger)
    {
        _options = options.RateLimits;
        _store = store;
        _logger = logger;
        Reload(store.Version());
    }

    public RateLimitPolicy Policy => _policy;

    /// <summary>One cheap read of the store's version; a reload only when it moved. True if it reloaded.</summary>
    public bool RefreshIfChanged()
    {
        var version = _store.Version();
        if (version == _policy.Version) return false;
        Reload(version);
        return true;
    }

    private void Reload(long version)
    {
        lock (_reloadGate)
        {
            try
            {
                _policy = RateLimitPolicy.Build(_options, _store.List(), version);
            }
            catch (ConfigurationException ex)
            {
                // A bad stored rule must not take enforcement down: keep the previous rules and say why.
                _logger.LogError("Rate limits not reloaded, keeping the previous ones: {Message}", ex.Message);
            }
        }
    }
}

/// <summary>Polls the rate limit store's version every second, so CLI changes apply to running gateways within ~1 s.</summary>
public sealed class RateLimitRefresher(RateLimitEngine engine, TimeProvider time, ILogger<RateLimitRefresher> logger) : BackgroundService
{
    public static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(PollInterval, time, stoppingToken);
                if (engine.RefreshIfChanged()) logger.LogInformation("Rate limits reloaded (version {Version})", engine.Policy.Version);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                logger.LogWarning("Rate limit refresh failed, will retry: {Message}", ex.Message);
            }
        }
    }
}
