namespace TokenOps.Storage;

/// <summary>
/// The semantic cache's index entries in the database: sentence vectors, hashes and the exact cache's key (never prompt
/// text). Each replica publishes what it learns and reads, in sequence order, what the others learned; a restarted
/// replica reads back every live entry. The answers themselves stay in the response cache store.
/// </summary>
public interface ISemanticIndexStore
{
    /// <summary>Publishes an entry; a second publication of the same (tenant, entry key) only moves its expiry.</summary>
    void Add(SemanticIndexRecord record);

    /// <summary>
    /// Live entries (expiry after <paramref name="now"/>) with a sequence above <paramref name="afterSequence"/>, in
    /// sequence order, at most <paramref name="limit"/>. Sequences grow with each publication; on PostgreSQL a number
    /// can become visible after a higher one (transactions commit out of order), so readers re-read a short overlap.
    /// </summary>
    IReadOnlyList<SemanticIndexRecord> ReadAfter(long afterSequence, DateTimeOffset now, int limit);

    /// <summary>Deletes the entries expired at <paramref name="now"/>; returns how many.</summary>
    int PurgeExpired(DateTimeOffset now);
}

/// <summary>
/// One published entry: the tenant (route, scope and model: the semantic cache never matches across them), the
/// bucket hashes of the question (system prompt and context; numbers, negations, names and language), its unit vector
/// and the exact cache key its answer is stored under. <see cref="Sequence"/> is set by the store.
/// </summary>
public sealed record SemanticIndexRecord(string Tenant, ulong ContextHash, ulong GuardHash, float[] Vector, string EntryKey, DateTimeOffset ExpiresAt)
{
    public long Sequence { get; init; }
}
