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
        private readonly Dictionary<string, ModelPrice?> _prices = [];
        private readonly Dictionary<(string? Person, string? Team, string Model, string Cheap), (List<string> Rows, decimal Wasted)> _found = [];

        private ModelPrice? Price(string model)
        {
            if (!_prices.TryGetValue(model, out var price)) _prices[model] = price = context.Price(model);
            return price;
        }

        public void Observe(LedgerEntry row)
        {
            if (context.Routing is not { } routing || row.RouteScore is not { } score || score >= routing.EasyBelow) return;
            if (row.ServedModel is not { } model || row.Outcome != LedgerOutcome.Ok || Price(model) is not { } served) return;
            if (!routing.CheapModelByProvider.TryGetValue(served.Provider, out var cheapModel) || cheapModel == model || Price(cheapModel) is not { } cheap) return;
            var saved = row.Cost.Total - CostCalculator.Compute(cheap, row.Usage).Total;
            if (saved <= 0) return;
            var key = (row.Person, row.Team, model, cheapModel);
            var (rows, wasted) = _found.TryGetValue(key, out var f) ? f : ([], 0m);
            rows.Add(row.Id);
            _found[key] = (rows, wasted + saved);
        }

        public IEnumerable<WasteFinding> Complete() => _found.Select(kv => new WasteFinding
        {
            Detector = WasteDetectors.ModelMismatch, Person = kv.Key.Person, Team = kv.Key.Team, Rows = kv.Value.Rows, WastedUsd = kv.Value.Wasted,
            Formula = $"sum over {kv.Value.Rows.Count} easy request(s) (router score < {context.Routing!.EasyBelow:0.##}) of cost on {kv.Key.Model} - cost on {kv.Key.Cheap} = {WasteScanner.Usd(kv.Value.Wasted)}",
            Fix = $"Let the router choose (model \"auto\") or name {kv.Key.Cheap} for these requests: the router scores them easy, and {kv.Key.Model} (a pinned session, a hard-coded model) keeps paying frontier prices for them.",
            Subject = $"{kv.Key.Model} on easy requests",
        });
    }
}
