using TokenOps.Core.Ledger;

namespace TokenOps.Core.Waste;

/// <summary>
/// <c>context-stuffing</c>: requests whose input is far above what comparable requests need: the team's norm on the
/// same route (median and MAD of log input tokens, and of log input/output). A row is stuffed when its input is at
/// least <see cref="MinTimesMedian"/> times the norm's median AND both its input and its input/output ratio lie more than
/// <see cref="MinZ"/> robust deviations above the norm: a big request that also produces a big answer is a big task,
/// not stuffing. Dollars: the input above the median, at the rate the row paid for its input.
/// </summary>
public sealed class ContextStuffingDetector : IWasteDetector
{
    public const double MinZ = 3.0;
    public const double MinTimesMedian = 4.0;
    /// <summary>A norm needs a sample: fewer comparable requests than this and the group is not judged.</summary>
    public const int MinSample = 30;

    public string Name => WasteDetectors.ContextStuffing;

    public IWasteScan Begin(WasteContext context) => new Scan();

    private readonly record struct Row(string Id, string? Person, string? Team, long Input, long Output, decimal InputCost);

    private sealed class Scan : IWasteScan
    {
        private readonly Dictionary<(string Team, string Route), List<Row>> _groups = [];

        public void Observe(LedgerEntry row)
        {
            var input = WasteScanner.Input(row);
            if (input <= 0 || row.Outcome != LedgerOutcome.Ok) return;
            var key = (row.Team ?? row.Person ?? "", row.Route);
            if (!_groups.TryGetValue(key, out var list)) _groups[key] = list = [];
            list.Add(new Row(row.Id, row.Person, row.Team, input, row.Usage.Output, WasteScanner.InputCost(row)));
        }

        public IEnumerable<WasteFinding> Complete()
        {
            var stuffed = new Dictionary<(string? Person, string? Team), List<(Row Row, double Median)>>();
            foreach (var rows in _groups.Values)
            {
                if (rows.Count < MinSample) continue;
                var size = RobustNorm.Of(rows.Select(r => Math.Log(r.Input)).ToList());
                var ratio = RobustNorm.Of(rows.Select(r => Math.Log((double)r.Input / (r.Output + 1))).ToList());
                var median = Math.Exp(size.Median);
                foreach (var r in rows)
                {
                    if (r.Input < MinTimesMedian * median || size.Z(Math.Log(r.Input)) < MinZ) continue;
                    if (ratio.Z(Math.Log((double)r.Input / (r.Output + 1))) < MinZ) continue;
                    var key = (r.Person, r.Team);
                    if (!stuffed.TryGetValue(key, out var list)) stuffed[key] = list = [];
                    list.Add((r, median));
                }
            }
            foreach (var ((person, team), rows) in stuffed)
            {
                var wasted = rows.Sum(x => x.Row.InputCost * (decimal)((x.Row.Input - x.Median) / x.Row.Input));
                var avg = rows.Average(x => x.Row.Input);
                var median = rows[0].Median;
                yield return new WasteFinding
                {
                    Detector = WasteDetectors.ContextStuffing, Person = person, Team = team, Rows = rows.Select(x => x.Row.Id).ToList(),
                    WastedUsd = wasted,
                    Formula = $"sum over {rows.Count} request(s) of input cost x (input - team median {median:0} tokens) / input = {WasteScanner.Usd(wasted)}",
                    Fix = $"Send the files and history the task needs, not whole files or folders: these requests averaged {avg:0} input tokens where the team's comparable requests need {median:0}; " +
                          "let the agent search and read (or trim history) instead of pasting everything.",
                    Subject = $"{rows.Count} request(s), {avg / median:0.#}x the team median input",
                };
            }
        }
    }
}
