namespace TokenOps.Storage;

/// <summary>
/// Removes ledger detail older than the retention period. Rollups are never touched (reports by day, team, model and
/// the dashboard keep the history for ever); only the per-request rows go, after the caller has exported them.
/// </summary>
public interface ILedgerRetention
{
    /// <summary>Rows that started before <paramref name="cutoff"/>.</summary>
    long CountBefore(DateTimeOffset cutoff);

    /// <summary>
    /// Deletes these rows (the ones just exported: a row an import adds meanwhile is never deleted unexported); returns how
    /// many were deleted.
    /// </summary>
    int Purge(IReadOnlyList<string> ids);

    /// <summary>
    /// One purge at a time across the fleet (a PostgreSQL session lock; a SQLite file has one gateway). Null when another
    /// replica holds it.
    /// </summary>
    IDisposable? TryLock();
}
