using TokenOps.Core.Ledger;

namespace TokenOps.Storage.Import;

/// <summary>
/// Where an import's rows go: the local ledger (<see cref="LedgerSink"/>), or an organisation's gateway
/// (<c>tokenops import ... --to URL</c>). Idempotent on the row id; returns how many rows were new (or grown).
/// </summary>
public interface IImportSink
{
    int Merge(IReadOnlyList<LedgerEntry> rows);
}

/// <summary>The local ledger as an import's destination.</summary>
public sealed class LedgerSink(ILedgerStore store) : IImportSink
{
    public int Merge(IReadOnlyList<LedgerEntry> rows) => store.Merge(rows);
}
