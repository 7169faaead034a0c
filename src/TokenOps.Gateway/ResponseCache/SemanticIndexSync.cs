using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using TokenOps.Storage;

namespace TokenOps.Gateway.ResponseCache;

/// <summary>
/// Keeps this replica's semantic index in step with the database: before the host serves, every live entry (a restart
/// forgets nothing still valid); then, every <see cref="Interval"/>, what the fleet published since; and, every few
/// minutes, the expired entries purged. Idle unless some level turns the semantic cache on. PostgreSQL can make a lower
/// sequence visible after a higher one (transactions commit out of order), so a sequence skipped over is a gap that the
/// next reads start from until it shows up or is <see cref="GapPatience"/> old (a re-publication's upsert also uses up a
/// sequence that never appears); entries already learned are not learned again.
/// </summary>
public sealed class SemanticIndexSync(ISemanticIndexStore store, SemanticResponseCache cache, ResponseCachePolicy policy, TimeProvider time,
    ILogger<SemanticIndexSync> logger) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan PurgeEvery = TimeSpan.FromMinutes(5);
    public static readonly TimeSpan GapPatience = TimeSpan.FromSeconds(10);
    private const int Page = 5_000;
    private const int MaxGaps = 1_000;
    private long _cursor;
    private readonly SortedDictionary<long, DateTimeOffset> _gaps = [];

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

    /// <summary>Learns every entry published after the cursor and any gap that has filled; returns how many were new.</summary>
    public int CatchUp()
    {
        var now = time.GetUtcNow();
        foreach (var expired in _gaps.Where(g => now - g.Value > GapPatience).Select(g => g.Key).ToList()) _gaps.Remove(expired);
        var learned = 0;
        var after = _gaps.Count > 0 ? Math.Min(_gaps.Keys.First() - 1, _cursor) : _cursor;
        while (true)
        {
            var page = store.ReadAfter(after, now, Page);
            var fresh = page.Where(r => r.Sequence > _cursor || _gaps.Remove(r.Sequence)).ToList();
            foreach (var r in fresh.Where(r => r.Sequence > _cursor).OrderBy(r => r.Sequence))
            {
                // Sequences skipped over may still be committed by another replica's open transaction.
                for (var missing = _cursor + 1; missing < r.Sequence && _gaps.Count < MaxGaps; missing++) _gaps.TryAdd(missing, now);
                _cursor = r.Sequence;
            }
            cache.Learn(fresh);
            learned += fresh.Count;
            if (page.Count < Page) break;
            after = page[^1].Sequence;
        }
        return learned;
    }
}
