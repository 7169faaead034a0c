using TokenOps.Gateway.Protocols;
using TokenOps.Gateway.Providers;

namespace TokenOps.Gateway.Routing;

/// <summary>
/// One named router, compiled from tokenops.json against the catalog: per protocol, its candidates from cheap to strong
/// (each already resolved to a provider and a price) and the baseline the savings are measured against.
/// </summary>
public sealed class AutoRouter(string name, IReadOnlyDictionary<Dialect, IReadOnlyList<ModelRoute>> candidates,
    IReadOnlyDictionary<Dialect, ModelRoute> baselines, QualityDial dial, bool cascade, bool pinSessions)
{
    public string Name { get; } = name;
    public QualityDial Dial { get; } = dial;
    public bool Cascade { get; } = cascade;
    public bool PinSessions { get; } = pinSessions;

    /// <summary>Cheapest first; empty when the router has none for this protocol.</summary>
    public IReadOnlyList<ModelRoute> Candidates(Dialect dialect) => candidates.TryGetValue(dialect, out var list) ? list : [];

    public ModelRoute? Baseline(Dialect dialect) => baselines.GetValueOrDefault(dialect);
}
