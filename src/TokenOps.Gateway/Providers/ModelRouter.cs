using TokenOps.Core.Pricing;
using TokenOps.Gateway.Configuration;
using TokenOps.Gateway.Protocols;

namespace TokenOps.Gateway.Providers;

/// <summary>
/// Resolves a requested model: an explicit route or alias in config first, else the catalog's provider for that model
/// (a configured provider of the same name serves it). Unknown models get 404; unpriced ones are refused unless
/// allow-listed, because an unknown price must never be recorded as $0.
/// </summary>
public sealed class ModelRouter
{
    private readonly IReadOnlyDictionary<string, ProviderEndpoint> _providers;
    private readonly IReadOnlyDictionary<string, ModelRouteOptions> _routes;
    private readonly HashSet<string> _allowUnpriced;
    private readonly Func<ModelPrice, ProviderEndpoint?>? _fallback;

    public ModelRouter(PriceCatalog catalog, IReadOnlyDictionary<string, ProviderEndpoint> providers,
        IReadOnlyDictionary<string, ModelRouteOptions> routes, IEnumerable<string> allowUnpriced,
        Func<ModelPrice, ProviderEndpoint?>? fallback = null)
    {
        Catalog = catalog;
        _providers = providers;
        _routes = routes;
        _allowUnpriced = new HashSet<string>(allowUnpriced, StringComparer.Ordinal);
        _fallback = fallback;
    }

    public PriceCatalog Catalog { get; }

    /// <summary>The <c>auto</c> routers compiled against these routes (set once, when the router is built).</summary>
    public Routing.AutoRouters Routers { get; internal set; } = Routing.AutoRouters.None;

    public ModelRoute Resolve(string requested, Dialect dialect)
    {
        ProviderEndpoint? provider = null;
        var served = requested;
        if (_routes.TryGetValue(requested, out var route))
        {
            served = route.Target ?? requested;
            if (route.Provider is not null) provider = _providers[route.Provider];
        }
        var priced = Catalog.TryGet(served, out var price) && price.IsPriced;
        if (provider is null && Catalog.TryGet(served, out var entry))
            provider = (entry.Provider is { } name && _providers.TryGetValue(name, out var p) ? p : null) ?? _fallback?.Invoke(entry);
        if (provider is null)
            throw new GatewayException(404, "model_not_found",
                $"The model '{requested}' does not exist or no configured provider serves it. Add it under \"models\" in tokenops.json or call GET /v1/models.", "model");
        if (provider.Dialect != dialect)
            throw GatewayException.BadRequest("wrong_protocol",
                $"The model '{requested}' is served by provider '{provider.Name}', which speaks the {provider.Dialect} protocol; call it through {(provider.Dialect == Dialect.Anthropic ? "/v1/messages" : "the OpenAI-compatible endpoints")}.", "model");
        if (!priced && !_allowUnpriced.Contains(requested) && !_allowUnpriced.Contains(served))
            throw GatewayException.BadRequest("model_not_priced",
                $"The model '{served}' has no price in catalog {Catalog.Version}, so TokenOps refuses to serve it. Add a price under \"prices\" or list it in \"allowUnpriced\" in tokenops.json.", "model");
        return new ModelRoute(provider, served, priced ? price : null, Catalog.Version);
    }

    /// <summary>Model ids this gateway can route, for GET /v1/models.</summary>
    public IEnumerable<string> RoutableModels(Dialect dialect)
    {
        // Routers are models a client can pick (IDEs and agents choose from this list): "auto" and "auto:<name>".
        foreach (var auto in Routers.All)
            if (auto.Candidates(dialect).Count > 0) yield return auto.Name == Routing.AutoRouters.Auto ? Routing.AutoRouters.Auto : "auto:" + auto.Name;
        foreach (var (name, route) in _routes)
            if (route.Provider is null || _providers[route.Provider].Dialect == dialect) yield return name;
        foreach (var price in Catalog.All)
        {
            if (!price.IsPriced || _routes.ContainsKey(price.Model)) continue;
            var provider = (price.Provider is { } n && _providers.TryGetValue(n, out var p) ? p : null) ?? _fallback?.Invoke(price);
            if (provider?.Dialect == dialect) yield return price.Model;
        }
    }
}
