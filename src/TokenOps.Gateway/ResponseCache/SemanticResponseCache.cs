using System.Text.Json;
using TokenOps.Routing.Similarity;
using TokenOps.Storage;

namespace TokenOps.Gateway.ResponseCache;

/// <summary>
/// The semantic cache: after the exact lookup misses, a question close enough to one already answered (in the same
/// tenant, on the same route and model) is answered from that question's exact-cache entry. The index holds sentence
/// vectors and hashes only (never text), in this process: each replica learns the questions it answered, while the
/// entries themselves are in the shared store. Off unless cache.semantic (or a team's or route's) turns it on.
/// </summary>
public sealed class SemanticResponseCache(IResponseCacheStore store, ResponseCachePolicy policy) : IResponseCacheLookup
{
    public const string KindName = "semantic";
    private readonly SemanticIndex _index = SemanticIndex.ForDefaultVectors();

    public string Kind => KindName;

    public async Task<ResponseCacheEntry?> FindAsync(CacheQuery query)
    {
        if (policy.SemanticThreshold(query.Route, query.Team) is not { } threshold) return null;
        if (Query(query) is not { IsEligible: true } semantic) return null;
        var match = _index.Find(Tenant(query), semantic, threshold);
        // The entry may have expired or been evicted since: then this is a miss like any other.
        return match is null ? null : await store.GetAsync(match.EntryKey, query.Now);
    }

    public Task RememberAsync(CacheQuery query, StoredAnswer answer, DateTimeOffset now)
    {
        if (policy.SemanticThreshold(query.Route, query.Team) is null) return Task.CompletedTask;
        // The exact cache stores the answer under query.Key; the index points paraphrases at it.
        if (Query(query) is { IsEligible: true } semantic) _index.Add(Tenant(query), semantic, query.Key);
        return Task.CompletedTask;
    }

    private static SemanticQuery? Query(CacheQuery query)
    {
        try
        {
            using var doc = JsonDocument.Parse(query.Body);
            return SemanticQuery.From(doc.RootElement);
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or ArgumentException)
        {
            return null;
        }
    }

    private static string Tenant(CacheQuery query) => query.Route + "|" + query.Scope + "|" + query.ServedModel;
}
