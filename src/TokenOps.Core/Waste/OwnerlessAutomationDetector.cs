using TokenOps.Core.Identity;
using TokenOps.Core.Ledger;

namespace TokenOps.Core.Waste;

/// <summary>
/// <c>ownerless-automation</c>: spend on automation keys that name no owner, or whose owner has no linked outcome (a merged
/// PR, a resolved ticket) in the <see cref="OutcomeWindow"/> before the period ends: a job nobody answers for. Dollars:
/// the key's whole spend in the period (nobody can say what it bought).
/// </summary>
public sealed class OwnerlessAutomationDetector : IWasteDetector
{
    public static readonly TimeSpan OutcomeWindow = TimeSpan.FromDays(30);

    public string Name => WasteDetectors.OwnerlessAutomation;

    public IWasteScan Begin(WasteContext context) => new Scan(context);

    private sealed class Scan(WasteContext context) : IWasteScan
    {
        private readonly Dictionary<string, (string? Person, string? Team, List<string> Rows, decimal Spend)> _keys = [];

        public void Observe(LedgerEntry row)
        {
            if (row.KeyId is not { } keyId) return;
            var known = context.Keys.TryGetValue(keyId, out var key);
            if (!(known ? key!.IsAutomation : row.KeyKind == KeyKinds.Automation)) return;
            var (person, team, rows, spend) = _keys.TryGetValue(keyId, out var k) ? k : (row.Person, row.Team, new List<string>(), 0m);
            rows.Add(row.Id);
            _keys[keyId] = (person, team, rows, spend + row.Cost.Total);
        }

        public IEnumerable<WasteFinding> Complete()
        {
            foreach (var (keyId, (person, team, rows, spend)) in _keys)
            {
                var owner = context.Keys.TryGetValue(keyId, out var key) ? key.Owner : null;
                string why;
                if (string.IsNullOrWhiteSpace(owner)) why = "names no owner";
                else if (context.LastOutcomeByPerson is not { } outcomes) continue;
                else if (outcomes.TryGetValue(owner, out var last) && last >= context.Until - OutcomeWindow) continue;
                else why = $"whose owner {owner} has no linked outcome in the last {OutcomeWindow.TotalDays:0} days";
                yield return new WasteFinding
                {
                    Detector = WasteDetectors.OwnerlessAutomation, Person = owner ?? person, Team = team, Rows = rows, WastedUsd = spend,
                    Formula = $"all spend of automation key {keyId} over {rows.Count} request(s) in the period = {WasteScanner.Usd(spend)}",
                    Fix = string.IsNullOrWhiteSpace(owner)
                        ? $"Give key {keyId} an owner who answers for it (tokenops keys create --kind automation --owner <person>, then revoke this one), or revoke it if nobody needs the job."
                        : $"Ask {owner} whether the job behind key {keyId} still produces anything; link its outcomes (tokenops outcomes) or revoke the key.",
                    Subject = $"automation key {keyId} {why}",
                };
            }
        }
    }
}
