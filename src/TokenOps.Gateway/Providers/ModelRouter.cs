using TokenOps.Core.Pricing;
using TokenOps.Gateway.Configuration;
using TokenOps.Gateway.Protocols;

namespace TokenOps.Gateway.Providers;

/// <summary>
/// Resolves a requested model: an explicit route or alias in config first, else the catalog's provider for that model
/// (a configured provider of the same name serves it). Unknown models get 404; unpriced ones are refused unless
/// allow-listed, because an unknown price must never be recorded as $0. With the family fallback on, a model the
/// catalog does not price but whose family it knows (<see cref="ModelFamily"/>) is priced at the family's newest
/// servable sibling and goes to that sibling's provider; its rows are flagged price_estimated.
/// </summary>
public sealed class ModelRouter
{
    private readonly IReadOnlyDictionary<string, ProviderEndpoint> _providers;
    private readonly IReadOnlyDictionary<string, ModelRouteOptions> _routes;
    private readonly HashSet<string> _allowUnpriced;
    private readonly Func<ModelPrice, ProviderEndpoint?>? _fallback;
    private readonly bool _familyFallback;

    public ModelRouter(PriceCatalog catalog, IReadOnlyDictionary<string, ProviderEndpoint> providers,
        IReadOnlyDictionary<string, ModelRouteOptions> routes, IEnumerable<string> allowUnpriced,
        Func<ModelPrice, ProviderEndpoint?>? fallback = null, bool familyFallback = false)
    {
        Catalog = catalog;
        _providers = providers;
        _routes = routes;
        _allowUnpriced = new HashSet<string>(allowUnpriced, StringComparer.Ordinal);
        _fallback = fallback;
        _familyFallback = familyFallback;
    }

    public PriceCatalog Catalog { get; }

    /// <summary>The <c>auto</c> routers compiled against these routes (set once, when the router is built).</summary>
    public Routing.AutoRouters Routers { get; internal set; } = Routing.AutoRouters.None;

    /// <summary>The degrade models per tier and protocol, checked against these routes (set once, when the router is built).</summary>
    public Budgets.DegradeTargets Degrades { get; internal set; } = Budgets.DegradeTargets.None;

    /// <param name="priceVariant">For endpoints priced per unit (images): the catalog variant the request selects (see
    /// <see cref="Protocols.RequestFacts.PriceVariant"/>); its entry prices the request when the catalog has one, and a
    /// model priced by the unit (per image) is served.</param>
    /// <param name="unitPriced">An endpoint that may be priced by the unit (audio: per second or character): a model
    /// with only such a price is served.</param>
    public ModelRoute Resolve(string requested, Dialect dialect, string? priceVariant = null, bool unitPriced = false)
    {
        ProviderEndpoint? provider = null;
        var served = requested;
        if (_routes.TryGetValue(requested, out var route))
        {
            served = route.Target ?? requested;
            if (route.Provider is not null) provider = _providers[route.Provider];
        }
        var known = Catalog.TryGet(served, out var entry);
        var priced = known && (priceVariant is null && !unitPriced ? entry!.IsPriced : entry!.IsCostable);
        // A model priced in image tokens (gpt-image-1) is billed from its usage: its size variants' per-image prices are
        // LiteLLM's approximations of those tokens, so only a model without image token rates takes a variant's price.
        if (known && priceVariant is not null && entry!.OutputImage is null && Variant(priceVariant, served) is { } variant)
        {
            // The variant prices the request; the model's own entry still names its provider.
            if (provider is null) provider = ProviderFor(entry!);
            entry = variant;
            priced = true;
        }
        if (provider is null && known) provider = ProviderFor(entry!);
        var allowed = _allowUnpriced.Contains(requested) || _allowUnpriced.Contains(served);
        // A sibling is looked for only when the price is missing: the fallback's, or the refusal's advice.
        var sibling = priced || allowed ? null : Sibling(served, provider);
        provider ??= sibling is null ? null : ProviderFor(sibling);
        if (provider is null)
            throw new GatewayException(404, "model_not_found",
                $"The model '{requested}' does not exist or no configured provider serves it. Route it under \"models\" in tokenops.json (with its provider) or call GET /v1/models. {HowToPrice(served, null)}", "model");
        if (provider.Dialect != dialect)
            throw GatewayException.BadRequest("wrong_protocol",
                $"The model '{requested}' is served by provider '{provider.Name}', which speaks the {provider.Dialect} protocol; call it through {(provider.Dialect == Dialect.Anthropic ? "/v1/messages" : "the OpenAI-compatible endpoints")}.", "model");
        if (priced) return new ModelRoute(provider, served, entry, Catalog.Version);
        if (allowed) return new ModelRoute(provider, served, null, Catalog.Version);
        if (_familyFallback && sibling is not null) return new ModelRoute(provider, served, sibling, Catalog.Version) { EstimatedFrom = sibling.Model };
        throw GatewayException.BadRequest("model_not_priced",
            $"The model '{served}' has no price in catalog {Catalog.Version}, so TokenOps refuses to serve it. {HowToPrice(served, sibling)}", "model");
    }

    /// <summary>
    /// The catalog entry of a size/quality variant (<c>hd/1024-x-1024/dall-e-3</c>), else of the size alone
    /// (<c>256-x-256/dall-e-2</c>); null when neither is priced.
    /// </summary>
    private ModelPrice? Variant(string variant, string served)
    {
        if (Catalog.TryGet(variant + "/" + served, out var exact) && exact.IsCostable) return exact;
        var slash = variant.IndexOf('/');
        return slash > 0 && Catalog.TryGet(variant[(slash + 1)..] + "/" + served, out var sized) && sized.IsCostable ? sized : null;
    }

    /// <summary>The advice every refusal for a missing price ends with: the three ways to give the model one.</summary>
    private string HowToPrice(string model, ModelPrice? sibling)
    {
        var fallback = sibling is not null
            ? $"or set \"prices\": {{ \"familyFallback\": true }} to price it as its family's newest known model, '{sibling.Model}' (rows flagged price_estimated)"
            : "or set \"prices\": { \"familyFallback\": true } to price a newer model as its family's newest known one (rows flagged price_estimated)";
        var state = _familyFallback && sibling is null && ModelFamily.TryParse(model, out _) ? " (familyFallback is on, but no priced model of its family is served here)" : "";
        return $"To price it: run 'tokenops prices update' (LiteLLM's current catalog, or --from FILE|URL), add it to tokenops.json as \"prices\": {{ \"{model}\": {{ \"inputPerMTok\": 3, \"outputPerMTok\": 15 }} }}, {fallback}{state}.";
    }

    private ProviderEndpoint? ProviderFor(ModelPrice entry) =>
        (entry.Provider is { } name && _providers.TryGetValue(name, out var p) ? p : null) ?? _fallback?.Invoke(entry);

    /// <summary>The newest priced model of the family that this gateway can serve (any, when the route names its provider).</summary>
    private ModelPrice? Sibling(string model, ProviderEndpoint? provider)
    {
        foreach (var sibling in Catalog.FamilySiblings(model))
            if (provider is not null || ProviderFor(sibling) is not null) return sibling;
        return null;
    }

    /// <summary>A configured provider by name (a batch record names the provider it went to), or null.</summary>
    public ProviderEndpoint? Provider(string name) => _providers.GetValueOrDefault(name);

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
            var provider = ProviderFor(price);
            if (provider?.Dialect == dialect) yield return price.Model;
        }
    }
}
