using TokenOps.Core.Planning;

namespace TokenOps.Storage;

/// <summary>
/// Ledger reads for planning: what-if repricing (`tokenops whatif`) and policy dry runs (`tokenops budgets simulate`).
/// Both read only the columns they need, in one pass.
/// </summary>
public interface IPlanningQueries
{
    /// <summary>
    /// The generative requests of the query's range, summed per team, served model, lane and size band
    /// (<see cref="WhatIfQuery"/>), in one grouped scan: the what-if prices the sums, never the rows.
    /// </summary>
    IReadOnlyList<WhatIfCell> WhatIfCells(WhatIfQuery query);

    /// <summary>The rows started in [from, until) that cost something, in (started_at, id) order.</summary>
    IEnumerable<ReplayRow> Replay(DateTimeOffset from, DateTimeOffset until);
}
