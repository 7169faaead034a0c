namespace TokenOps.Storage;

/// <summary>
/// The response cache's entries: answers by the hash of the canonical request, never the prompt. Bounded in total size
/// (least recently used go first) and in time (an entry past its expiry is never returned). Shared by every replica that
/// uses the same backend (the database, or Redis when configured).
/// </summary>
public interface IResponseCacheStore
{
    /// <summary>The live entry under <paramref name="key"/>, marked used at <paramref name="now"/>; null when missing or expired.</summary>
    ResponseCacheEntry? Get(string key, DateTimeOffset now);

    /// <summary>
    /// Stores (or replaces) an entry, then evicts expired entries and the least recently used ones until the whole cache
    /// holds at most <paramref name="maxTotalBytes"/> (the new entry last of all).
    /// </summary>
    void Put(ResponseCacheEntry entry, DateTimeOffset now, long maxTotalBytes);

    /// <summary>
    /// <see cref="Get"/> for the request path. A network store (Redis) completes it without blocking a thread: sync
    /// waits on request threads starve the thread pool under load. The database stores answer synchronously.
    /// </summary>
    Task<ResponseCacheEntry?> GetAsync(string key, DateTimeOffset now) => Task.FromResult(Get(key, now));

    /// <summary><see cref="Put"/> for the request path (see <see cref="GetAsync"/>).</summary>
    Task PutAsync(ResponseCacheEntry entry, DateTimeOffset now, long maxTotalBytes)
    {
        Put(entry, now, maxTotalBytes);
        return Task.CompletedTask;
    }

    /// <summary>Removes one entry; false when there was none.</summary>
    bool Evict(string key);

    /// <summary>The bytes every entry holds together (expired ones not yet evicted included).</summary>
    long TotalBytes();
}

/// <summary>
/// One cached answer: <paramref name="Answer"/> is the stored answer (a JSON document of the cache's own format, no
/// prompt text), <paramref name="SourceId"/> the ledger row that paid for it and <paramref name="SourceCostNanos"/> what
/// it cost, which is what every hit saves.
/// </summary>
public sealed record ResponseCacheEntry(string Key, string Answer, string SourceId, long SourceCostNanos, DateTimeOffset CreatedAt, DateTimeOffset ExpiresAt)
{
    /// <summary>The size the bound counts: the answer's UTF-8 bytes.</summary>
    public long Bytes => System.Text.Encoding.UTF8.GetByteCount(Answer);
}
