using TokenOps.Core.Pricing;

namespace TokenOps.Gateway.Providers;

/// <summary>Where a requested model goes: the provider, the model name sent upstream, and its price (null only when allow-listed).</summary>
public sealed record ModelRoute(ProviderEndpoint Provider, string ServedModel, ModelPrice? Price, string CatalogVersion)
{
    /// <summary>
    /// Set when the served model has no price of its own and the family fallback priced it at this sibling's rates
    /// (<see cref="Price"/> is the sibling's): the ledger row is flagged price_estimated.
    /// </summary>
    public string? EstimatedFrom { get; init; }
}
