using TokenOps.Core.Identity;
using TokenOps.Core.Ledger;

namespace TokenOps.Core.Waste;

/// <summary>
/// <c>retry-by-vibes</c>: a person re-sends a near-identical prompt (last user turn's SimHash within
/// <see cref="MaxDistance"/> bits of an earlier attempt's, same number of messages, no tool calls in the answers) <see cref="MinAttempts"/> or more
/// times, each within <see cref="Window"/> of the one before: re-rolling in the hope of a better answer. Automation keys
/// are left out (a job repeating itself is ownerless-automation's business), and a retry after a truncated answer is
/// truncation-retry's. Dollars: every attempt after the first.
/// </summary>
public sealed class RetryByVibesDetector : IWasteDetector
{
    /// <summary>Bits of 64 that may differ: unrelated texts differ in about 32 (binomial, sd 4), so 6 leaves chance matches negligible while a reworded line still matches.</summary>
    public const int MaxDistance = 6;
    public const int MinAttempts = 3;
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(10);

    public string Name => WasteDetectors.RetryByVibes;

    public IWasteScan Begin(WasteContext context) => new Scan(context);

    private sealed class Chain
    {
        /// <summary>Every attempt's hash: a re-roll may be near the first ask and not the last variant (each changes a word or two).</summary>
        public readonly List<long> Hashes = [];
        public required int Messages;
        public required DateTimeOffset Last;
        public required string? Team;
        public string? LastFinish;
        public readonly List<(string Id, decimal Cost)> Rows = [];
    }

    private sealed class Scan(WasteContext context) : IWasteScan
    {
        private readonly Dictionary<string, List<Chain>> _open = [];
        private readonly List<(string Person, Chain Chain)> _closed = [];

        public void Observe(LedgerEntry row)
        {
            if (row.TurnSimHash is not { } hash || row.Person is not { } person || row.ToolCallCount > 0 || row.Outcome != LedgerOutcome.Ok) return;
            if (row.KeyKind == KeyKinds.Automation || (row.KeyId is { } k && context.Keys.TryGetValue(k, out var key) && key.IsAutomation)) return;
            if (!_open.TryGetValue(person, out var chains)) _open[person] = chains = [];
            for (var i = chains.Count - 1; i >= 0; i--)
                if (row.StartedAt - chains[i].Last > Window)
                {
                    Close(person, chains[i]);
                    chains.RemoveAt(i);
                }
            var chain = chains.FirstOrDefault(c => c.Messages == row.MessageCount && !WasteScanner.IsTruncated(c.LastFinish)
                                                   && c.Hashes.Any(h => SimHash.Distance(h, hash) <= MaxDistance));
            if (chain is null) chains.Add(chain = new Chain { Messages = row.MessageCount, Last = row.StartedAt, Team = row.Team });
            chain.Rows.Add((row.Id, row.Cost.Total));
            if (chain.Hashes.Count < 32) chain.Hashes.Add(hash);
            chain.Last = row.StartedAt;
            chain.LastFinish = row.FinishReason;
        }

        private void Close(string person, Chain chain)
        {
            if (chain.Rows.Count >= MinAttempts) _closed.Add((person, chain));
        }

        public IEnumerable<WasteFinding> Complete()
        {
            foreach (var (person, chains) in _open)
                foreach (var c in chains) Close(person, c);
            _open.Clear();
            foreach (var group in _closed.GroupBy(c => (c.Person, c.Chain.Team)))
            {
                var chains = group.Select(g => g.Chain).ToList();
                var extra = chains.Sum(c => c.Rows.Skip(1).Sum(r => r.Cost));
                var attempts = chains.Sum(c => c.Rows.Count);
                yield return new WasteFinding
                {
                    Detector = WasteDetectors.RetryByVibes, Person = group.Key.Person, Team = group.Key.Team,
                    Rows = chains.SelectMany(c => c.Rows.Select(r => r.Id)).ToList(), WastedUsd = extra,
                    Formula = $"{chains.Count} prompt(s) sent {attempts} times: cost of the {attempts - chains.Count} attempt(s) after each first = {WasteScanner.Usd(extra)}",
                    Fix = "Instead of re-sending the same prompt, say what was wrong with the answer (a failing test, the error, the constraint it missed) or add the missing context; " +
                          "for a genuinely random task, ask for several options in one request.",
                    Subject = $"{chains.Count} re-rolled prompt(s)",
                };
            }
        }
    }
}
