namespace TokenOps.Storage;

/// <summary>
/// The batch lane's records, in the shared database so that every replica knows every batch: the files clients uploaded
/// (or a batch produced) with their owner, and each batch with who submitted it, what it holds on the budgets and how far
/// its settlement got. Settlement is claimed with an atomic transition (<see cref="TryClaimSettlement"/>), so of several
/// replicas polling one database only one writes a batch's ledger rows at a time, and a claim left by a crash expires.
/// </summary>
public interface IBatchStore
{
    /// <summary>Records a file; a second record of the same id is ignored (returns false).</summary>
    bool AddFile(StoredBatchFile file);

    StoredBatchFile? FindFile(string id);

    /// <summary>Records a new batch; false when the id exists.</summary>
    bool Add(StoredBatch batch);

    StoredBatch? Find(string id);

    /// <summary>One owner's batches of one protocol, newest first, after the batch <paramref name="after"/> (exclusive) when given.</summary>
    IReadOnlyList<StoredBatch> List(string owner, string protocol, string? after, int limit);

    /// <summary>Batches not settled yet, oldest first (what the poller looks at).</summary>
    IReadOnlyList<StoredBatch> Unsettled(int limit);

    /// <summary>Updates what the provider last said: status, end time and result files (only of a batch not settled yet).</summary>
    void UpdateStatus(string id, string status, DateTimeOffset? endedAt, string? outputFileId, string? errorFileId);

    /// <summary>
    /// Claims the settlement of an unsettled batch for <paramref name="claimant"/> until <paramref name="until"/>: true when no
    /// one else holds a live claim (one that has not passed <paramref name="now"/>). One statement, so two replicas never both win.
    /// </summary>
    bool TryClaimSettlement(string id, string claimant, DateTimeOffset now, DateTimeOffset until);

    /// <summary>Marks the batch settled (its rows written, its cost known); only the claimant's mark counts. True when it did.</summary>
    bool MarkSettled(string id, string claimant, long settledNanos, int rows, DateTimeOffset at);
}

/// <summary>A file of the batch lane: an uploaded input (its lines checked, their worst case summed) or a batch's output or error file.</summary>
/// <param name="Owner">The tenant that may read it: the person of the key that uploaded it (or of the batch that produced it).</param>
/// <param name="WorstNanos">The input's worst-case cost at batch prices, summed over its lines (0 for outputs).</param>
/// <param name="BatchId">For output and error files, the batch that produced them.</param>
public sealed record StoredBatchFile(string Id, string Provider, string Owner, string? KeyId, string Purpose, string? Filename, long Bytes,
    string? Endpoint, int LineCount, long WorstNanos, string? BatchId, DateTimeOffset CreatedAt);

/// <summary>A batch as the gateway records it.</summary>
/// <param name="Id">The id clients see (the gateway's own).</param>
/// <param name="ProviderBatchId">The provider's id for it.</param>
/// <param name="Protocol">"openai" or "anthropic".</param>
/// <param name="Owner">The tenant that may read it (see <see cref="StoredBatchFile.Owner"/>).</param>
/// <param name="Tags">Attribution tags (sorted "k=v" pairs), from the headers and the batch's metadata.</param>
/// <param name="ReservedNanos">What the batch holds on its submitter's budgets until it settles.</param>
public sealed record StoredBatch(string Id, string ProviderBatchId, string Protocol, string Provider, string Owner, string? KeyId, string? Person,
    string? Team, string? Project, string? Feature, string? Tags, string? Endpoint, string? InputFileId, string Status, long ReservedNanos,
    int LineCount, DateTimeOffset CreatedAt)
{
    public DateTimeOffset? EndedAt { get; init; }
    public string? OutputFileId { get; init; }
    public string? ErrorFileId { get; init; }
    public string? ClaimedBy { get; init; }
    public DateTimeOffset? ClaimedUntil { get; init; }
    public DateTimeOffset? SettledAt { get; init; }
    public long? SettledNanos { get; init; }
    public int? SettledRows { get; init; }
    /// <summary>Opaque to the store: what its settler needs from the request that made it (a background response's request-time row).</summary>
    public string? RowFacts { get; init; }
    /// <summary>
    /// The id of the request's hold in shared budget counters (Redis), so that whichever replica settles the batch frees
    /// that hold, even after the process that took it is gone; null with in-process counters.
    /// </summary>
    public string? HoldId { get; init; }
}
