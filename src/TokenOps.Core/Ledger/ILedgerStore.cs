namespace TokenOps.Core.Ledger;

/// <summary>
/// Where ledger rows rest. Writes must be idempotent on <see cref="LedgerEntry.Id"/>. The ledger writer calls only
/// <see cref="Write"/> (one interface call per batch); imports merge, exports stream.
/// </summary>
public interface ILedgerStore
{
    /// <summary>Writes a batch atomically (rollups in the same transaction, from the new rows only); returns how many rows were new.</summary>
    int Write(IReadOnlyList<LedgerEntry> entries);

    /// <summary>
    /// Offline imports: inserts new rows, and replaces an existing row only when the new one carries more tokens (a
    /// streamed message logged again once complete). Returns how many rows were added or grown.
    /// </summary>
    int Merge(IReadOnlyList<LedgerEntry> entries);

    IReadOnlyList<LedgerEntry> Read(DateTimeOffset? since = null, DateTimeOffset? until = null);

    /// <summary>Rows one at a time, in time order (started_at, id), without holding them all.</summary>
    IEnumerable<LedgerEntry> Stream(DateTimeOffset? since = null, DateTimeOffset? until = null);

    long Count();
}
