using TokenOps.Core.Pricing;

namespace TokenOps.Gateway.Pricing;

/// <summary>
/// The prices in force for a data directory: the newest catalog stored by <c>tokenops prices update</c>, else the one
/// bundled in the assembly, with tokenops.json's overrides on top. The gateway and every command that prices read it here.
/// </summary>
public static class ActiveCatalog
{
    /// <summary>Where the base catalog came from: the stored version, or null for the bundled one.</summary>
    public sealed record Loaded(PriceCatalog Catalog, StoredCatalog? Stored);

    /// <exception cref="PriceCatalogException">The stored catalog cannot be read or priced, or an override is invalid.</exception>
    public static Loaded Load(string dataDirectory, IReadOnlyDictionary<string, PriceOverride>? overrides = null)
    {
        var store = new StoredCatalogs(dataDirectory);
        var stored = store.Current();
        if (stored is null) return new Loaded(BundledCatalog.Load(overrides), null);
        return new Loaded(PriceCatalog.Load(store.Read(stored), overrides), stored);
    }

    /// <summary>The catalog bytes in force (stored or bundled), without overrides.</summary>
    public static byte[] BaseBytes(string dataDirectory)
    {
        var store = new StoredCatalogs(dataDirectory);
        return store.Current() is { } stored ? store.Read(stored) : BundledCatalog.Bytes;
    }
}
