using TokenOps.Core.Ledger;

namespace TokenOps.Core.Waste;

/// <summary>
/// <c>context-stuffing</c>: requests that add far more input than comparable requests need. What a request adds is its
/// input beyond its stable prefix (tools and system prompt), or in a session the growth over the session's previous turn (history the conversation carries is not
/// stuffing; agent-loop judges runaway growth). The norm is the team's on the same route: median and MAD of the log
/// of what requests add, and of log added/output. A row is stuffed when it adds at least <see cref="MinTimesMedian"/>
/// times the median AND what it adds lies more than <see cref="MinZ"/> robust deviations above the norm AND its ratio to the
/// answer is unusually high (a big request that also gets a big answer is a big task). Dollars: the added input above the
/// median, at the rate the row paid for its input.
/// The ratio only has to be unusual (<see cref="RatioMinZ"/>, the upper 2.3 %), not an outlier of its own: what is
/// extreme is the size; the ratio tells a pasted folder (a normal answer) from a big task (a big answer).
/// </summary>
public sealed class ContextStuffingDetector : IWasteDetector
{
    /// <summary>Iglewicz and Hoaglin's outlier line for the modified z-score (median and MAD).</summary>
    public const double MinZ = 3.5;
    public const double RatioMinZ = 2.0;
    public const double MinTimesMedian = 4.0;
    /// <summary>A norm needs a sample: fewer comparable requests than this and the group is not judged.</summary>
    public const int MinSample = 30;

    public string Name => WasteDetectors.ContextStuffing;

    public IWasteScan Begin(WasteContext context) => new Scan();

    private readonly record struct Row(string Id, string? Person, string? Team, long Input, long Whole, long Output, decimal InputCost);

    private sealed class Scan : IWasteScan
    {
        private readonly Dictionary<(string Team, string Route), List<Row>> _groups = [];
        private readonly Dictionary<string, long> _sessionInput = [];

        public void Observe(LedgerEntry row)
        {
            var whole = WasteScanner.Input(row);
            var input = whole;
            if (input <= 0 || row.Outcome != LedgerOutcome.Ok) return;
            // The stable prefix (tools, system prompt) is ignored-caching's concern, not what the request added.
            var before = row.SessionId is { } session && _sessionInput.TryGetValue(session, out var b) ? b : row.PrefixTokens;
            if (row.SessionId is { } id) _sessionInput[id] = whole;
            input -= Math.Min(before, input);
            if (input <= 0) return;
            var key = (row.Team ?? row.Person ?? "", row.Route);
            if (!_groups.TryGetValue(key, out var list)) _groups[key] = list = [];
            list.Add(new Row(row.Id, row.Person, row.Team, input, whole, row.Usage.Output, WasteScanner.InputCost(row)));
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
                    if (ratio.Z(Math.Log((double)r.Input / (r.Output + 1))) < RatioMinZ) continue;
                    var key = (r.Person, r.Team);
                    if (!stuffed.TryGetValue(key, out var list)) stuffed[key] = list = [];
                    list.Add((r, median));
                }
            }
            foreach (var ((person, team), rows) in stuffed)
            {
                var wasted = rows.Sum(x => x.Row.InputCost * (decimal)((x.Row.Input - x.Median) / x.Row.Whole));
                var avg = rows.Average(x => x.Row.Input);
                var median = rows[0].Median;
                yield return new WasteFinding
                {
                    Detector = WasteDetectors.ContextStuffing, Person = person, Team = team, Rows = rows.Select(x => x.Row.Id).ToList(),
                    WastedUsd = wasted,
                    Formula = $"sum over {rows.Count} request(s) of input cost x (added input - team median {median:0} tokens) / input = {WasteScanner.Usd(wasted)}",
                    Fix = $"Send the files and history the task needs, not whole files or folders: these requests averaged {avg:0} input tokens where the team's comparable requests need {median:0}; " +
                          "let the agent search and read (or trim history) instead of pasting everything.",
                    Subject = $"{rows.Count} request(s), {avg / median:0.#}x the team median input",
                };
            }
        }
    }
}
