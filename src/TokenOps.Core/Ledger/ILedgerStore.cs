namespace TokenOps.Core.Ledger;

/// <summary>Where ledger rows rest. Writes must be idempotent on <see cref="LedgerEntry.Id"/>.</summary>
public interface ILedgerStore
{
    /// <summary>Writes a batch atomically; returns how many rows were new.</summary>
    int Write(IReadOnlyList<LedgerEntry> entries);

    IReadOnlyList<LedgerEntry> Read(DateTimeOffset? since = null, DateTimeOffset? until = null);

    long Count();
}
