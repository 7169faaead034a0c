using TokenOps.Core.Budgets;
using TokenOps.Core.Pricing;
using TokenOps.Core.Waste;
using TokenOps.Gateway.Configuration;
using TokenOps.Storage;

namespace TokenOps.Gateway.Waste;

/// <summary>
/// What the detectors need besides the rows, read the same way for <c>tokenops waste</c>, the dashboard and the digest:
/// catalog prices, keys (kind, owner), each person's latest outcome, person and team budgets as allocations, and the
/// router's easy line with its cheapest candidate per provider.
/// </summary>
public static class WasteContextBuilder
{
    /// <summary>The easy line when a router sets no fixed threshold (its dial moves with the scores): the middle of the score range.</summary>
    public const double DefaultEasyBelow = 0.5;

    public static WasteContext Build(DateTimeOffset from, DateTimeOffset until, PriceCatalog catalog, RoutingOptions routing,
        IKeyStore keys, IOutcomeStore outcomes, IBudgetStore budgets)
    {
        ModelPrice? Price(string model) => catalog.TryGet(model, out var p) ? p : null;
        var lastOutcome = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        foreach (var o in outcomes.List(until - OwnerlessAutomationDetector.OutcomeWindow, until))
            if (o.Person is { } person && (!lastOutcome.TryGetValue(person, out var t) || o.CompletedAt > t)) lastOutcome[person] = o.CompletedAt;
        return new WasteContext
        {
            From = from, Until = until, Price = Price,
            Keys = keys.List().ToDictionary(k => k.Id, k => new KeyProfile(k.Id, k.Kind, k.Owner, k.Person, k.Team), StringComparer.Ordinal),
            LastOutcomeByPerson = lastOutcome,
            Allocations = Allocations(budgets.List(), from, until),
            Routing = Hint(routing, Price),
        };
    }

    /// <summary>Person and team budgets that reset (daily, weekly, monthly), one allocation per window overlapping the period.</summary>
    public static IReadOnlyList<Allocation> Allocations(IEnumerable<StoredBudget> budgets, DateTimeOffset from, DateTimeOffset until)
    {
        var list = new List<Allocation>();
        foreach (var b in budgets)
        {
            if (b.Level is not (BudgetLevel.Person or BudgetLevel.Team)) continue;
            var zone = TimeZoneInfo.TryFindSystemTimeZoneById(b.TimeZone, out var z) ? z : TimeZoneInfo.Utc;
            if (BudgetPeriod.TryParse(b.Period, zone) is not { Resets: true } period) continue;
            for (var at = from; at < until;)
            {
                var w = period.WindowAt(at);
                list.Add(new Allocation("budget", b.Id, b.Name, b.Level == BudgetLevel.Team, NanoUsd.ToUsd(b.LimitNanos), w.Start, w.End));
                if (w.End <= at) break;
                at = w.End;
            }
        }
        return list;
    }

    /// <summary>The plain-auto router (else the first): its fixed threshold or the default, and its cheapest candidate per provider.</summary>
    public static RoutingHint? Hint(RoutingOptions routing, Func<string, ModelPrice?> price)
    {
        var router = routing.Routers.TryGetValue("auto", out var auto) ? auto : routing.Routers.Values.FirstOrDefault();
        if (router is null) return null;
        var cheap = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var candidates in new[] { router.Openai, router.Anthropic })
            if (candidates.Count > 0 && price(candidates[0]) is { } p) cheap.TryAdd(p.Provider, candidates[0]);
        return cheap.Count == 0 ? null : new RoutingHint(router.Threshold ?? DefaultEasyBelow, cheap);
    }
}
