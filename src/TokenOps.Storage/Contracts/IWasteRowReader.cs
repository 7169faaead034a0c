using TokenOps.Core.Ledger;

namespace TokenOps.Storage;

/// <summary>
/// The ledger as waste detection reads it: rows started in [from, to), in time order, one at a time, with only the
/// fields the detectors use (<see cref="Sql.SqlWasteRowReader.Columns"/>): who, when, which model and route, token
/// buckets, the input-side cost buckets and the total, the outcome and the prompt fingerprints. The other fields keep
/// their defaults. A third of the columns and no per-row culture-aware parsing: a month of a busy organisation
/// (a million rows) is read in a few seconds (docs/BENCHMARKS.md, "Waste detection").
/// </summary>
public interface IWasteRowReader
{
    IEnumerable<LedgerEntry> Read(DateTimeOffset from, DateTimeOffset to);
}
