using TokenOps.Core.Ledger;

namespace TokenOps.Core.Waste;

/// <summary>
/// One waste pattern: a name (the one users type and read) and a scan over the period's ledger rows in time order.
/// Pure: no storage, no clock; whatever a detector needs beyond the rows comes in the <see cref="WasteContext"/>, so the
/// same detectors run over SQLite, PostgreSQL or rows generated in a test.
/// </summary>
public interface IWasteDetector
{
    string Name { get; }

    IWasteScan Begin(WasteContext context);
}

/// <summary>One pass of a detector: sees every row once (time order), then names its findings.</summary>
public interface IWasteScan
{
    void Observe(LedgerEntry row);

    IEnumerable<WasteFinding> Complete();
}
