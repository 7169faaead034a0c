using System.Collections.Concurrent;
using TokenOps.Storage;

namespace TokenOps.Gateway.Keys;

/// <summary>
/// When each key was last used, kept in memory by the authenticate stage (one field write per request, no allocation
/// once a key has been seen) and written to the key store in one batch every few seconds by <see cref="KeyUsageFlusher"/>:
/// the request path never waits for a database write.
/// </summary>
public sealed class KeyUsage
{
    private sealed class Stamp
    {
        public long UnixMs;
        public long WrittenMs;
    }

    private readonly ConcurrentDictionary<string, Stamp> _stamps = new(StringComparer.Ordinal);

    /// <summary>Notes that the key was used at <paramref name="now"/> (the caller's clock reading, not read again here).</summary>
    public void Touch(string keyId, DateTimeOffset now)
    {
        var stamp = _stamps.GetOrAdd(keyId, static _ => new Stamp());
        Volatile.Write(ref stamp.UnixMs, now.ToUnixTimeMilliseconds());
    }

    /// <summary>The uses not yet written, each key once with its latest time; marks them written.</summary>
    public IReadOnlyList<(string KeyId, DateTimeOffset At)> TakeUnwritten()
    {
        var batch = new List<(string, DateTimeOffset)>();
        foreach (var (id, stamp) in _stamps)
        {
            var at = Volatile.Read(ref stamp.UnixMs);
            if (at <= stamp.WrittenMs) continue;
            stamp.WrittenMs = at;
            batch.Add((id, DateTimeOffset.FromUnixTimeMilliseconds(at)));
        }
        return batch;
    }
}

/// <summary>Writes <see cref="KeyUsage"/> to the key store every <see cref="Interval"/>, and once more at shutdown.</summary>
public sealed class KeyUsageFlusher(KeyUsage usage, IKeyStore keys, TimeProvider time, ILogger<KeyUsageFlusher> logger) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                await Task.Delay(Interval, time, stoppingToken);
                Flush();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        Flush();
    }

    public void Flush()
    {
        var batch = usage.TakeUnwritten();
        if (batch.Count == 0) return;
        try
        {
            keys.MarkUsed(batch);
        }
        catch (Exception ex)
        {
            // The next batch carries later times for the same keys; a missed write only leaves last use a little older.
            logger.LogWarning("Could not record when {Count} keys were last used: {Message}", batch.Count, ex.Message);
        }
    }
}
