using TokenOps.Core.Identity;
using TokenOps.Core.Pricing;

namespace TokenOps.Core.Waste;

/// <summary>
/// What the detectors may know besides the rows: the period, catalog prices, the keys (kind and owner), when each person
/// last had an outcome, the allocations (budgets, poker hands) and the router's notion of an easy request.
/// </summary>
public sealed record WasteContext
{
    public required DateTimeOffset From { get; init; }
    public required DateTimeOffset Until { get; init; }
    /// <summary>The catalog's price for a model, or null when it has none.</summary>
    public Func<string, ModelPrice?> Price { get; init; } = _ => null;
    /// <summary>Keys by id: kind and, for automation keys, owner.</summary>
    public IReadOnlyDictionary<string, KeyProfile> Keys { get; init; } = new Dictionary<string, KeyProfile>();
    /// <summary>The latest outcome (merged PR, resolved ticket, ...) per person; null when outcomes are not known at all.</summary>
    public IReadOnlyDictionary<string, DateTimeOffset>? LastOutcomeByPerson { get; init; }
    public IReadOnlyList<Allocation> Allocations { get; init; } = [];
    /// <summary>The router's easy/hard line and its cheaper candidate; null when no router is configured (model-mismatch then finds nothing).</summary>
    public RoutingHint? Routing { get; init; }
}

/// <summary>A key as waste detection sees it.</summary>
public sealed record KeyProfile(string Id, string Kind, string? Owner, string? Person, string? Team)
{
    public bool IsAutomation => Kind == KeyKinds.Automation;
}

/// <summary>An allocation a holder (a person or a team) had in a window: a budget limit or a poker hand.</summary>
public sealed record Allocation(string Source, string Id, string Holder, bool HolderIsTeam, decimal LimitUsd, DateTimeOffset From, DateTimeOffset Until);

/// <summary>
/// The router's line between easy and hard requests (its strong-score threshold) and the cheapest candidate it would
/// choose for easy ones, by the catalog provider of the model that served (an OpenAI row moves to OpenAI's cheap model).
/// </summary>
public sealed record RoutingHint(double EasyBelow, IReadOnlyDictionary<string, string> CheapModelByProvider);
