using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using TokenOps.Storage;

namespace TokenOps.Gateway.ResponseCache;

/// <summary>
/// Keeps this replica's semantic index in step with the database: before the host serves, every live entry (a restart
/// forgets nothing still valid); then, every <see cref="Interval"/>, what the fleet published since, re-reading a short
/// overlap of sequences (PostgreSQL can commit a lower one after a higher one; reading an entry twice only refreshes it);
/// and, every few minutes, the expired entries purged. Idle unless some level turns the semantic cache on.
/// </summary>
public sealed class SemanticIndexSync(ISemanticIndexStore store, SemanticResponseCache cache, ResponseCachePolicy policy, TimeProvider time,
    ILogger<SemanticIndexSync> logger) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan PurgeEvery = TimeSpan.FromMinutes(5);
    private const int Page = 5_000;
    private const long Overlap = 256;
    private long _cursor;

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        if (!policy.SemanticIsOff)
        {
            try
            {
                var loaded = CatchUp();
                if (loaded > 0) logger.LogInformation("Semantic cache: {Count} entries read back from the database", loaded);
            }
            catch (Exception ex)
            {
                logger.LogWarning("Semantic cache: could not read the index back, starting empty: {Message}", ex.Message);
            }
        }
        return base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (policy.SemanticIsOff) return;
        var lastPurge = time.GetUtcNow();
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(Interval, time, stoppingToken);
                CatchUp();
                if (time.GetUtcNow() - lastPurge >= PurgeEvery)
                {
                    store.PurgeExpired(time.GetUtcNow());
                    lastPurge = time.GetUtcNow();
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                logger.LogWarning("Semantic cache: index sync failed, will retry: {Message}", ex.Message);
            }
        }
    }

    /// <summary>Reads every entry after the cursor (minus the overlap) into the index; returns how many were read.</summary>
    public int CatchUp()
    {
        var read = 0;
        var after = Math.Max(0, _cursor - Overlap);
        while (true)
        {
            var page = store.ReadAfter(after, time.GetUtcNow(), Page);
            if (page.Count == 0) break;
            cache.Learn(page);
            read += page.Count;
            after = page[^1].Sequence;
            _cursor = Math.Max(_cursor, after);
            if (page.Count < Page) break;
        }
        return read;
    }
}
