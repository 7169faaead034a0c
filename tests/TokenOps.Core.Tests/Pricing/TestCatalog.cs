using TokenOps.Core.Metering;
using TokenOps.Core.Pricing;

namespace TokenOps.Core.Tests.Pricing;

/// <summary>The bundled LiteLLM catalog (copied to the test output as catalog.json), loaded once.</summary>
internal static class TestCatalog
{
    private static readonly Lazy<byte[]> LazyBytes = new(() => File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "catalog.json")));
    private static readonly Lazy<PriceCatalog> LazyCatalog = new(() => PriceCatalog.Load(Bytes));
    private static readonly Lazy<ModelPrice[]> LazyPriced = new(() => [.. Catalog.All.Where(p => p.IsPriced)]);

    public static byte[] Bytes => LazyBytes.Value;

    public static PriceCatalog Catalog => LazyCatalog.Value;

    public static ModelPrice[] Priced => LazyPriced.Value;

    public static ModelPrice Get(string model) =>
        Catalog.TryGet(model, out var price) ? price : throw new InvalidOperationException($"'{model}' missing from the catalog");

    public static CostBreakdown Cost(
        string model,
        long uncached = 0,
        long cacheRead = 0,
        long write5m = 0,
        long write1h = 0,
        long output = 0,
        long reasoning = 0,
        ServiceTier tier = ServiceTier.Standard) =>
        CostCalculator.Compute(Get(model), new TokenUsage
        {
            UncachedInput = uncached,
            CacheRead = cacheRead,
            CacheWrite5m = write5m,
            CacheWrite1h = write1h,
            Output = output,
            Reasoning = reasoning,
            Tier = tier,
        });
}
