using TokenOps.Core.Ledger;
using TokenOps.Core.Pricing;

namespace TokenOps.Core.Waste;

/// <summary>
/// <c>model-mismatch</c>: a dearer model served a request the router scored as easy (strong score below its threshold).
/// Only rows with a router score count: without one the difficulty is unknown and the row is skipped. Dollars: the
/// row's cost minus what the same tokens cost on the router's cheaper candidate, priced from the catalog.
/// </summary>
public sealed class ModelMismatchDetector : IWasteDetector
{
    public string Name => WasteDetectors.ModelMismatch;

    public IWasteScan Begin(WasteContext context) => new Scan(context);

    private sealed class Scan(WasteContext context) : IWasteScan
    {
        private readonly ModelPrice? _cheap = context.Routing is { } r ? context.Price(r.CheapModel) : null;
        private readonly Dictionary<(string? Person, string? Team, string Model), (List<string> Rows, decimal Wasted)> _found = [];

        public void Observe(LedgerEntry row)
        {
            if (_cheap is null || context.Routing is not { } routing || row.RouteScore is not { } score || score >= routing.EasyBelow) return;
            if (row.ServedModel is not { } model || model == routing.CheapModel || row.Outcome != LedgerOutcome.Ok) return;
            var cheaper = CostCalculator.Compute(_cheap, row.Usage).Total;
            var saved = row.Cost.Total - cheaper;
            if (saved <= 0) return;
            var key = (row.Person, row.Team, model);
            var (rows, wasted) = _found.TryGetValue(key, out var f) ? f : ([], 0m);
            rows.Add(row.Id);
            _found[key] = (rows, wasted + saved);
        }

        public IEnumerable<WasteFinding> Complete() => _found.Select(kv => new WasteFinding
        {
            Detector = WasteDetectors.ModelMismatch, Person = kv.Key.Person, Team = kv.Key.Team, Rows = kv.Value.Rows, WastedUsd = kv.Value.Wasted,
            Formula = $"sum over {kv.Value.Rows.Count} easy request(s) (router score < {context.Routing!.EasyBelow:0.##}) of cost on {kv.Key.Model} - cost on {context.Routing.CheapModel} = {WasteScanner.Usd(kv.Value.Wasted)}",
            Fix = $"Send these requests as model \"auto\" (or name {context.Routing.CheapModel}): the router scores them easy, and a session pinned to {kv.Key.Model} keeps paying frontier prices for them.",
            Subject = kv.Key.Model,
        });
    }
}
