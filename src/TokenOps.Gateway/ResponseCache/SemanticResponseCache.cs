using System.Text.Json;
using Microsoft.Extensions.Logging;
using TokenOps.Routing.Similarity;
using TokenOps.Storage;

namespace TokenOps.Gateway.ResponseCache;

/// <summary>
/// The semantic cache: after the exact lookup misses, a question close enough to one already answered (in the same
/// tenant, on the same route and model) is answered from that question's exact-cache entry. The index holds sentence
/// vectors and hashes only (never text) in this process for the lookup, and publishes each entry to the database
/// (<see cref="ISemanticIndexStore"/>), from which <see cref="SemanticIndexSync"/> brings in what other replicas learned
/// and, after a restart, everything still live. Off unless cache.semantic (or a team's or route's) turns it on.
/// </summary>
public sealed class SemanticResponseCache(IResponseCacheStore store, ISemanticIndexStore published, ResponseCachePolicy policy,
    ILogger<SemanticResponseCache> logger) : IResponseCacheLookup
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
        if (Query(query) is not { IsEligible: true } semantic) return Task.CompletedTask;
        var tenant = Tenant(query);
        _index.Add(tenant, semantic, query.Key);
        try
        {
            published.Add(new SemanticIndexRecord(tenant, semantic.ContextHash, semantic.GuardHash, semantic.Vector, query.Key, now + query.Settings.Ttl));
        }
        catch (Exception ex)
        {
            // This replica still serves the entry; the others learn it when it is asked again.
            logger.LogWarning("Semantic cache: could not publish an entry: {Message}", ex.Message);
        }
        return Task.CompletedTask;
    }

    /// <summary>Entries published by any replica (this one's included: adding an entry again only refreshes it).</summary>
    public void Learn(IEnumerable<SemanticIndexRecord> records)
    {
        foreach (var r in records)
            if (r.Vector.Length == _index.Dimensions) _index.Add(r.Tenant, r.ContextHash, r.GuardHash, r.Vector, r.EntryKey);
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
