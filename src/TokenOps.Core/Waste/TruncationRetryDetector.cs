using TokenOps.Core.Ledger;

namespace TokenOps.Core.Waste;

/// <summary>
/// <c>truncation-retry</c>: an answer stopped by the token limit (finish reason length, max_tokens, max_output_tokens),
/// then the same prompt (same prompt hash, same key) sent again within <see cref="Window"/>. Dollars: the truncated
/// attempt, paid for and thrown away.
/// </summary>
public sealed class TruncationRetryDetector : IWasteDetector
{
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(30);

    public string Name => WasteDetectors.TruncationRetry;

    public IWasteScan Begin(WasteContext context) => new Scan();

    private sealed class Scan : IWasteScan
    {
        private readonly Dictionary<(string? Key, long Prompt), (string Id, DateTimeOffset At, decimal Cost)> _truncated = [];
        private readonly Dictionary<(string? Person, string? Team), (List<string> Rows, decimal Wasted, int Count)> _found = [];

        public void Observe(LedgerEntry row)
        {
            if (row.PromptHash is not { } prompt || row.Outcome != LedgerOutcome.Ok) return;
            var key = (row.KeyId ?? row.Person, prompt);
            if (_truncated.Remove(key, out var earlier) && row.StartedAt - earlier.At <= Window)
            {
                var k = (row.Person, row.Team);
                var (rows, wasted, count) = _found.TryGetValue(k, out var f) ? f : ([], 0m, 0);
                rows.Add(earlier.Id);
                rows.Add(row.Id);
                _found[k] = (rows, wasted + earlier.Cost, count + 1);
            }
            if (WasteScanner.IsTruncated(row.FinishReason)) _truncated[key] = (row.Id, row.StartedAt, row.Cost.Total);
        }

        public IEnumerable<WasteFinding> Complete() => _found.Select(kv => new WasteFinding
        {
            Detector = WasteDetectors.TruncationRetry, Person = kv.Key.Person, Team = kv.Key.Team, Rows = kv.Value.Rows, WastedUsd = kv.Value.Wasted,
            Formula = $"cost of {kv.Value.Count} answer(s) cut off by the token limit and then asked again = {WasteScanner.Usd(kv.Value.Wasted)}",
            Fix = "Raise max_tokens (max_output_tokens) for these requests, or ask for a shorter answer or a continuation, instead of re-sending the same prompt with the same limit.",
            Subject = $"{kv.Value.Count} truncated answer(s) re-asked",
        });
    }
}
