using TokenOps.Core.Pricing;

namespace TokenOps.Gateway;

/// <summary>The LiteLLM price catalog bundled into the assembly (data/pricing, MIT; see data/pricing/LICENSE).</summary>
public static class BundledCatalog
{
    private static readonly Lazy<byte[]> Bytes = new(() =>
    {
        using var stream = typeof(BundledCatalog).Assembly.GetManifestResourceStream("TokenOps.Pricing.Catalog.json")
            ?? throw new InvalidOperationException("The bundled price catalog is missing from the build.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    });

    public static PriceCatalog Load(IReadOnlyDictionary<string, PriceOverride>? overrides = null) => PriceCatalog.Load(Bytes.Value, overrides);
}
