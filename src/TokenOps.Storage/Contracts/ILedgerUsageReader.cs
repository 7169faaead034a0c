using TokenOps.Core.Reports;

namespace TokenOps.Storage;

/// <summary>The ledger as <see cref="PricedUsage"/> for `tokenops report`: only the columns a report needs, row by row, in time order.</summary>
public interface ILedgerUsageReader
{
    IEnumerable<PricedUsage> Read();
}
