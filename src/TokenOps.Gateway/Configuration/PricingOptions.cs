namespace TokenOps.Gateway.Configuration;

/// <summary>
/// How models without a price of their own are treated ("pricing" in tokenops.json). The spelling,
/// <c>"prices": { "familyFallback": true }</c>, is accepted too: <c>prices</c> maps model names to overrides, so the
/// loader takes that one key out of it (<see cref="ConfigurationLoader"/>) and sets this flag.
/// </summary>
public sealed class PricingOptions
{
    /// <summary>The key under "prices" that is this flag, not a model.</summary>
    public const string PricesKey = "familyFallback";

    /// <summary>
    /// Price a model the catalog does not know at its family's newest known sibling (Core/Pricing/ModelFamily), route it
    /// to that sibling's provider, and flag its rows price_estimated. Off by default: an unknown price is refused.
    /// </summary>
    public bool FamilyFallback { get; set; }
}
