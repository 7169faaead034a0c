using TokenOps.Core.Pricing;

namespace TokenOps.Gateway;

/// <summary>The LiteLLM price catalog bundled into the assembly (data/pricing, MIT; see data/pricing/LICENSE).</summary>
public static class BundledCatalog
{
    private static readonly Lazy<byte[]> Embedded = new(() =>
    {
        using var stream = typeof(BundledCatalog).Assembly.GetManifestResourceStream("TokenOps.Pricing.Catalog.json")
            ?? throw new InvalidOperationException("The bundled price catalog is missing from the build.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    });

    /// <summary>The catalog file as bundled (shared; do not modify).</summary>
    public static byte[] Bytes => Embedded.Value;

    public static PriceCatalog Load(IReadOnlyDictionary<string, PriceOverride>? overrides = null) => PriceCatalog.Load(Embedded.Value, overrides);
}
