using TokenOps.Core.Ledger;

namespace TokenOps.Core.Waste;

/// <summary>
/// <c>idle-allocation</c>: a budget or poker hand far above what its holder uses: the part of the allocation that has
/// elapsed within the period is at least <see cref="MinTimesUse"/> times the holder's spend over the same time. The money
/// is not spent, but it is held: others could not have it (the hoarding the articles describe). Dollars: the elapsed
/// allocation minus the use.
/// </summary>
public sealed class IdleAllocationDetector : IWasteDetector
{
    public const decimal MinTimesUse = 4m;

    public string Name => WasteDetectors.IdleAllocation;

    public IWasteScan Begin(WasteContext context) => new Scan(context);

    private sealed class Held(Allocation allocation, DateTimeOffset from, DateTimeOffset until)
    {
        public Allocation Allocation { get; } = allocation;
        public DateTimeOffset From { get; } = from;
        public DateTimeOffset Until { get; } = until;
        public decimal Spend;
        public readonly List<string> Rows = [];
    }

    private sealed class Scan : IWasteScan
    {
        private readonly List<Held> _held = [];
        private readonly Dictionary<string, List<Held>> _byPerson = [];
        private readonly Dictionary<string, List<Held>> _byTeam = [];

        public Scan(WasteContext context)
        {
            foreach (var a in context.Allocations)
            {
                var from = a.From > context.From ? a.From : context.From;
                var until = a.Until < context.Until ? a.Until : context.Until;
                if (until <= from || a.LimitUsd <= 0) continue;
                var held = new Held(a, from, until);
                _held.Add(held);
                var index = a.HolderIsTeam ? _byTeam : _byPerson;
                if (!index.TryGetValue(a.Holder, out var list)) index[a.Holder] = list = [];
                list.Add(held);
            }
        }

        public void Observe(LedgerEntry row)
        {
            if (row.Person is { } p && _byPerson.TryGetValue(p, out var mine)) Add(mine, row);
            if (row.Team is { } t && _byTeam.TryGetValue(t, out var ours)) Add(ours, row);
        }

        private static void Add(List<Held> list, LedgerEntry row)
        {
            foreach (var h in list)
            {
                if (row.StartedAt < h.From || row.StartedAt >= h.Until) continue;
                h.Spend += row.Cost.Total;
                h.Rows.Add(row.Id);
            }
        }

        public IEnumerable<WasteFinding> Complete()
        {
            foreach (var h in _held)
            {
                var a = h.Allocation;
                var share = (decimal)((h.Until - h.From).TotalSeconds / (a.Until - a.From).TotalSeconds);
                var held = a.LimitUsd * share;
                if (held < MinTimesUse * h.Spend || held <= 0) continue;
                var idle = held - h.Spend;
                yield return new WasteFinding
                {
                    Detector = WasteDetectors.IdleAllocation, Person = a.HolderIsTeam ? null : a.Holder, Team = a.HolderIsTeam ? a.Holder : null,
                    Rows = h.Rows, WastedUsd = idle,
                    Formula = $"{a.Source} {a.Id}: {WasteScanner.Usd(a.LimitUsd)} x {share:P0} of its window in the period = {WasteScanner.Usd(held)} held, minus {WasteScanner.Usd(h.Spend)} used = {WasteScanner.Usd(idle)} idle",
                    Fix = $"Lower {a.Source} {a.Id} towards what {a.Holder} uses ({WasteScanner.Usd(h.Spend)} in the period) and return the rest to the pool, or let unused allowance roll back (rollover off).",
                    Subject = $"{a.Source} {a.Id}",
                };
            }
        }
    }
}
