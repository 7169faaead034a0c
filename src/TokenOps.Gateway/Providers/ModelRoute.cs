using TokenOps.Core.Pricing;

namespace TokenOps.Gateway.Providers;

/// <summary>Where a requested model goes: the provider, the model name sent upstream, and its price (null only when allow-listed).</summary>
public sealed record ModelRoute(ProviderEndpoint Provider, string ServedModel, ModelPrice? Price, string CatalogVersion);
