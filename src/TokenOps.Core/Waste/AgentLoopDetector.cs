using TokenOps.Core.Ledger;
using TokenOps.Core.Pricing;

namespace TokenOps.Core.Waste;

/// <summary>
/// <c>agent-loop</c>: an agent session that goes round in circles. Either it repeats itself: the same tool result comes
/// back (last turn's SimHash within <see cref="MaxDistance"/> bits of an earlier turn of the session) and the agent calls
/// tools again, <see cref="MinRepeats"/> or more times; or its per-turn input keeps growing past half the model's context
/// window (every further turn re-reads a context that should have been compacted). Dollars: the repeated turns' cost,
/// and for growth the input above the bound at the rate the turn paid.
/// </summary>
public sealed class AgentLoopDetector : IWasteDetector
{
    public const int MaxDistance = 3;
    public const int MinRepeats = 3;
    /// <summary>The bound on per-turn input, as a share of the model's context window.</summary>
    public const double ContextShare = 0.5;

    public string Name => WasteDetectors.AgentLoop;

    public IWasteScan Begin(WasteContext context) => new Scan(context);

    private sealed class Session
    {
        public string? Person, Team;
        public readonly List<long> Turns = [];
        public readonly List<(string Id, decimal Cost)> Repeats = [];
        public readonly List<(string Id, decimal Cost)> Grown = [];
        public long LastInput;
    }

    private sealed class Scan(WasteContext context) : IWasteScan
    {
        private readonly Dictionary<string, Session> _sessions = [];
        private readonly Dictionary<string, ModelPrice?> _prices = [];

        public void Observe(LedgerEntry row)
        {
            if (row.SessionId is not { } id || row.Outcome != LedgerOutcome.Ok) return;
            if (!_sessions.TryGetValue(id, out var s)) _sessions[id] = s = new Session { Person = row.Person, Team = row.Team };
            if (row.TurnSimHash is { } turn && row.ToolCallCount > 0)
            {
                if (s.Turns.Any(t => SimHash.Distance(t, turn) <= MaxDistance)) s.Repeats.Add((row.Id, row.Cost.Total));
                else if (s.Turns.Count < 256) s.Turns.Add(turn);
            }
            var input = WasteScanner.Input(row);
            if (row.ServedModel is { } model && input > s.LastInput)
            {
                if (!_prices.TryGetValue(model, out var price)) _prices[model] = price = context.Price(model);
                if (price?.MaxInputTokens is { } window && input > window * ContextShare && s.LastInput > 0)
                    s.Grown.Add((row.Id, WasteScanner.InputCost(row) * (decimal)((input - window * ContextShare) / input)));
            }
            s.LastInput = input;
        }

        public IEnumerable<WasteFinding> Complete()
        {
            foreach (var (id, s) in _sessions)
            {
                var looped = s.Repeats.Count >= MinRepeats;
                if (!looped && s.Grown.Count == 0) continue;
                var rows = (looped ? s.Repeats : []).Concat(s.Grown).DistinctBy(r => r.Id).ToList();
                var repeats = looped ? s.Repeats.Sum(r => r.Cost) : 0m;
                var grown = s.Grown.Where(g => !looped || s.Repeats.All(r => r.Id != g.Id)).Sum(g => g.Cost);
                var parts = new List<string>();
                if (looped) parts.Add($"{s.Repeats.Count} repeated tool turn(s) cost {WasteScanner.Usd(repeats)}");
                if (s.Grown.Count > 0) parts.Add($"input above {ContextShare:P0} of the context window on {s.Grown.Count} growing turn(s) cost {WasteScanner.Usd(grown)}");
                yield return new WasteFinding
                {
                    Detector = WasteDetectors.AgentLoop, Person = s.Person, Team = s.Team, Rows = rows.Select(r => r.Id).ToList(), WastedUsd = repeats + grown,
                    Formula = string.Join("; ", parts) + $" = {WasteScanner.Usd(repeats + grown)}",
                    Fix = looped
                        ? "The agent called the same tool on the same result again and again: stop the session, give it the missing fact or permission, and cap its turns (max turns, a loop guard)."
                        : "Compact or restart the session once its context passes half the window (/compact, a fresh session with a summary) instead of re-reading the whole history every turn.",
                    Subject = $"session {id}",
                };
            }
        }
    }
}
