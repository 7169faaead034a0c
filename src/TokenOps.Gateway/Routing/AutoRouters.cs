using TokenOps.Gateway.Configuration;
using TokenOps.Gateway.Protocols;
using TokenOps.Gateway.Providers;

namespace TokenOps.Gateway.Routing;

/// <summary>
/// The routers in force, compiled once per configuration (and again on every reload, with the model routes): a bad
/// router fails the start, or the reload, with the key named, never the first request that uses it.
/// </summary>
public sealed class AutoRouters
{
    public const string Auto = "auto";
    private const string NamedPrefix = "auto:";

    private readonly IReadOnlyDictionary<string, AutoRouter> _routers;
    private readonly IReadOnlyDictionary<string, string> _teams;
    private readonly IReadOnlyDictionary<string, string> _tiers;

    private AutoRouters(IReadOnlyDictionary<string, AutoRouter> routers, IReadOnlyDictionary<string, string> teams, IReadOnlyDictionary<string, string> tiers)
    {
        _routers = routers;
        _teams = teams;
        _tiers = tiers;
    }

    public static readonly AutoRouters None = new(new Dictionary<string, AutoRouter>(), new Dictionary<string, string>(), new Dictionary<string, string>());

    public bool IsEmpty => _routers.Count == 0;

    public IEnumerable<AutoRouter> All => _routers.Values;

    /// <summary>True for <c>auto</c> and <c>auto:&lt;name&gt;</c>: the only model names the router stage looks at.</summary>
    public static bool IsAuto(string model) =>
        model.StartsWith(Auto, StringComparison.Ordinal) && (model.Length == Auto.Length || model.StartsWith(NamedPrefix, StringComparison.Ordinal));

    /// <summary>The router a request names; plain <c>auto</c> is the team's router, else the tier's, else the one named "auto".</summary>
    public AutoRouter Resolve(string model, string? team, string? tier)
    {
        string name;
        if (model.Length > Auto.Length) name = model[NamedPrefix.Length..];
        else name = (team is not null && _teams.TryGetValue(team, out var t) ? t : null) ?? (tier is not null && _tiers.TryGetValue(tier, out var r) ? r : null) ?? Auto;
        if (_routers.TryGetValue(name, out var router)) return router;
        var known = _routers.Count == 0 ? "none is configured" : "configured: " + string.Join(", ", _routers.Keys.Order(StringComparer.Ordinal).Select(k => k == Auto ? Auto : NamedPrefix + k));
        throw GatewayException.BadRequest("unknown_router",
            $"The model '{model}' asks TokenOps to choose a model, but there is no router named '{name}' ({known}). Routers are set under \"routing.routers\" in tokenops.json.", "model");
    }

    /// <summary>Compiles and checks every router: names, dials, candidates (each must route to a priced model of its protocol).</summary>
    public static AutoRouters Build(RoutingOptions options, ModelRouter models)
    {
        static void Fail(string key, string problem) => throw new ConfigurationException($"routing.{key} {problem}");

        if (options.PinMinutes is <= 0 or > 7 * 24 * 60) Fail("pinMinutes", "must be between 0 and 10080 (a week)");
        if (options.MaxPinnedSessions < 1) Fail("maxPinnedSessions", "must be at least 1");
        var routers = new Dictionary<string, AutoRouter>(StringComparer.Ordinal);
        foreach (var (name, r) in options.Routers)
        {
            var key = $"routers.{name}";
            if (string.IsNullOrWhiteSpace(name) || name.Contains(':') || name.Any(char.IsWhiteSpace))
                Fail(key, "is not a valid router name (no spaces or colons): clients call it as model \"auto:<name>\"");
            QualityDial dial;
            if (r.Threshold is { } threshold)
            {
                if (r.StrongShare is not null) Fail(key, "sets both threshold and strongShare; choose one dial");
                if (threshold is < 0 or > 1 || double.IsNaN(threshold)) Fail($"{key}.threshold", $"must be between 0 and 1, not {threshold}");
                dial = QualityDial.FixedThreshold(threshold);
            }
            else
            {
                var share = r.StrongShare ?? 0.3;
                if (share is < 0 or > 1 || double.IsNaN(share)) Fail($"{key}.strongShare", $"must be between 0 and 1, not {share}");
                dial = QualityDial.Share(share);
            }
            var candidates = new Dictionary<Dialect, IReadOnlyList<ModelRoute>>();
            var baselines = new Dictionary<Dialect, ModelRoute>();
            foreach (var (dialect, protocol, list) in new[] { (Dialect.OpenAI, "openai", r.Openai), (Dialect.Anthropic, "anthropic", r.Anthropic) })
            {
                if (list.Count == 0) continue;
                var routes = new List<ModelRoute>(list.Count);
                for (var i = 0; i < list.Count; i++)
                    routes.Add(Candidate(models, list[i], dialect, $"{key}.{protocol}[{i}]"));
                if (routes.Select(c => c.ServedModel).Distinct(StringComparer.Ordinal).Count() != routes.Count)
                    Fail($"{key}.{protocol}", "lists a model twice");
                candidates[dialect] = routes;
                baselines[dialect] = r.Baseline.TryGetValue(protocol, out var baseline)
                    ? Candidate(models, baseline, dialect, $"{key}.baseline.{protocol}")
                    : routes[^1];
            }
            if (candidates.Count == 0) Fail(key, "has no candidates: list models under \"openai\" and/or \"anthropic\", cheapest first");
            foreach (var protocol in r.Baseline.Keys)
                if (protocol is not ("openai" or "anthropic")) Fail($"{key}.baseline.{protocol}", "must be \"openai\" or \"anthropic\"");
            routers[name] = new AutoRouter(name, candidates, baselines, dial, r.Cascade, r.PinSessions);
        }
        foreach (var (team, name) in options.Teams)
            if (!routers.ContainsKey(name)) Fail($"teams.{team}", $"names router \"{name}\", which is not under routing.routers");
        foreach (var (tier, name) in options.Tiers)
            if (!routers.ContainsKey(name)) Fail($"tiers.{tier}", $"names router \"{name}\", which is not under routing.routers");
        return routers.Count == 0 ? None : new AutoRouters(routers, options.Teams, options.Tiers);
    }

    private static ModelRoute Candidate(ModelRouter models, string model, Dialect dialect, string key)
    {
        ModelRoute route;
        try
        {
            route = models.Resolve(model, dialect);
        }
        catch (GatewayException ex)
        {
            throw new ConfigurationException($"routing.{key} names \"{model}\", which cannot be served: {ex.Message}");
        }
        if (route.Price is null)
            throw new ConfigurationException($"routing.{key} names \"{model}\", which has no price: a router only chooses priced models (its savings are priced).");
        return route;
    }
}
