using TokenOps.Storage;

namespace TokenOps.Gateway.ResponseCache;

/// <summary>
/// One way of finding a stored answer for a request. The stage asks each registered lookup in order (the exact cache
/// first, then any other, such as a semantic cache) and serves the first hit; after a miss the provider answered, each
/// lookup is given the answer to remember. A lookup that fails is skipped (logged): a cache outage never fails a request.
/// To add one, register another <see cref="IResponseCacheLookup"/> after <see cref="ExactResponseCache"/>
/// (<c>services.AddSingleton&lt;IResponseCacheLookup, MyLookup&gt;()</c>); its <see cref="Kind"/> is what the
/// X-TokenOps-Cache header and the ledger's cache_hit column show for its hits.
/// </summary>
public interface IResponseCacheLookup
{
    /// <summary>"exact", "semantic": the header value and the ledger's cache_hit for this lookup's hits.</summary>
    string Kind { get; }

    /// <summary>A live stored answer for the request, or null.</summary>
    Task<ResponseCacheEntry?> FindAsync(CacheQuery query);

    /// <summary>Keeps the provider's answer to the request (a complete one, already bounded by maxEntryBytes).</summary>
    Task RememberAsync(CacheQuery query, StoredAnswer answer, DateTimeOffset now);
}

/// <summary>
/// A cacheable request as the lookups see it: its route and tenant, the model that serves it, its exact key (the
/// SHA-256 of the canonical request, scope included), the body (for lookups that read it: a semantic cache embeds the
/// prompt; never stored by the exact cache) and the settings in force.
/// </summary>
public sealed record CacheQuery(string Route, string Team, string Person, string ServedModel, string Scope, string Key, byte[] Body,
    ExactCacheSettings Settings, DateTimeOffset Now);

/// <summary>An answer to remember: the protocol's non-streamed response (no prompt text), the row that paid for it and its cost.</summary>
public sealed record StoredAnswer(string Json, string SourceId, long SourceCostNanos);

/// <summary>The exact cache: the canonical request's hash, looked up in the <see cref="IResponseCacheStore"/>.</summary>
public sealed class ExactResponseCache(IResponseCacheStore store, ResponseCachePolicy policy) : IResponseCacheLookup
{
    public const string KindName = "exact";

    public string Kind => KindName;

    public Task<ResponseCacheEntry?> FindAsync(CacheQuery query) => store.GetAsync(query.Key, query.Now);

    public Task RememberAsync(CacheQuery query, StoredAnswer answer, DateTimeOffset now) =>
        store.PutAsync(new ResponseCacheEntry(query.Key, answer.Json, answer.SourceId, answer.SourceCostNanos, now, now + query.Settings.Ttl),
            now, policy.MaxTotalBytes);
}
