using TokenOps.Core.Ledger;

namespace TokenOps.Core.Waste;

/// <summary>
/// <c>context-stuffing</c>: requests that add far more input than comparable requests need. What a request adds is its
/// input beyond its stable prefix (tools and system prompt), or in a session the growth over the session's previous turn (history the conversation carries is not
/// stuffing; agent-loop judges runaway growth). The norm is the team's on the same route (the route's across teams, or
/// every request's, when the team has too few): median and MAD of the log
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
    /// <summary>A norm needs a sample: a team with fewer comparable requests borrows a wider norm (the route's, then everyone's).</summary>
    public const int MinSample = 30;
    /// <summary>A sample in which the person judged has at most this share is used whole.</summary>
    public const double MaxShareUsedWhole = 0.25;

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

        private readonly record struct Norms(RobustNorm Size, RobustNorm Ratio)
        {
            public double Median => Math.Exp(Size.Median);

            public static Norms Of(IEnumerable<Row> rows)
            {
                var list = rows as IReadOnlyCollection<Row> ?? rows.ToList();
                return new Norms(RobustNorm.Of(list.Select(r => Math.Log(r.Input)).ToList()),
                    RobustNorm.Of(list.Select(r => Math.Log((double)r.Input / (r.Output + 1))).ToList()));
            }
        }

        private readonly Dictionary<string, List<Row>> _routeRows = [];
        private List<Row>? _everyone;
        // Per sample (by reference): its norm taken whole, and how many of its rows each person sent.
        private readonly Dictionary<List<Row>, Norms> _wholeNorms = new(ReferenceEqualityComparer.Instance);
        private readonly Dictionary<List<Row>, Dictionary<string, int>> _perPerson = new(ReferenceEqualityComparer.Instance);

        /// <summary>The team's rows on the route, then the route's across teams, then every row: the wider ones made only when asked for.</summary>
        private IEnumerable<List<Row>> Samples(List<Row> team, string route)
        {
            yield return team;
            if (!_routeRows.TryGetValue(route, out var rows))
                _routeRows[route] = rows = _groups.Where(g => g.Key.Route == route).SelectMany(g => g.Value).ToList();
            yield return rows;
            yield return _everyone ??= _groups.Values.SelectMany(x => x).ToList();
        }

        /// <summary>The norm a person's rows are judged by: the first sample with enough of other people's rows.</summary>
        private Norms? NormFor(string? person, IEnumerable<List<Row>> samples)
        {
            foreach (var sample in samples)
            {
                if (!_perPerson.TryGetValue(sample, out var perPerson))
                    _perPerson[sample] = perPerson = sample.CountBy(r => r.Person ?? "").ToDictionary(c => c.Key, c => c.Value);
                var others = sample.Count - perPerson.GetValueOrDefault(person ?? "");
                if (others < MinSample) continue;
                if (sample.Count - others <= MaxShareUsedWhole * sample.Count)
                {
                    if (!_wholeNorms.TryGetValue(sample, out var norm)) _wholeNorms[sample] = norm = Norms.Of(sample);
                    return norm;
                }
                return Norms.Of(sample.Where(r => r.Person != person));
            }
            return null;
        }

        public IEnumerable<WasteFinding> Complete()
        {
            var stuffed = new Dictionary<(string? Person, string? Team), List<(Row Row, double Median)>>();
            // Each person is judged against the others' requests: someone who pastes in most of their requests must not
            // set their own norm. The sample is the rest of the team on the route; when that is too small, the rest of
            // the route across teams; then every other request. Big samples in which the person is a small share are
            // used whole (leaving them out would barely move the median), so the norms are sorted once each.
            foreach (var ((_, route), rows) in _groups)
            {
                var norms = new Dictionary<string, Norms?>();
                foreach (var r in rows)
                {
                    if (!norms.TryGetValue(r.Person ?? "", out var found))
                        norms[r.Person ?? ""] = found = NormFor(r.Person, Samples(rows, route));
                    if (found is not { } norm) continue;
                    if (r.Input < MinTimesMedian * norm.Median || norm.Size.Z(Math.Log(r.Input)) < MinZ) continue;
                    if (norm.Ratio.Z(Math.Log((double)r.Input / (r.Output + 1))) < RatioMinZ) continue;
                    var key = (r.Person, r.Team);
                    if (!stuffed.TryGetValue(key, out var list)) stuffed[key] = list = [];
                    list.Add((r, norm.Median));
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
