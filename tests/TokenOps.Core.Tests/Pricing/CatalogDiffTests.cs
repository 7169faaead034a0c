using System.Text;
using TokenOps.Core.Pricing;
using Xunit;

namespace TokenOps.Core.Tests.Pricing;

public sealed class CatalogDiffTests
{
    private static PriceCatalog Catalog(string json) => PriceCatalog.Load(Encoding.UTF8.GetBytes(json));

    [Fact]
    public void Lists_priced_models_added_and_removed_and_each_changed_bucket_per_million_tokens()
    {
        var before = Catalog("""
            { "a": { "litellm_provider": "openai", "input_cost_per_token": 1e-6, "output_cost_per_token": 2e-6, "cache_read_input_token_cost": 1e-7 },
              "b": { "litellm_provider": "openai", "input_cost_per_token": 1e-6, "output_cost_per_token": 2e-6 },
              "c": { "litellm_provider": "openai", "mode": "chat" },
              "same": { "litellm_provider": "openai", "input_cost_per_token": 3e-6, "output_cost_per_token": 1.5e-5 } }
            """);
        var after = Catalog("""
            { "a": { "litellm_provider": "openai", "input_cost_per_token": 1e-6, "output_cost_per_token": 3e-6 },
              "c": { "litellm_provider": "openai", "input_cost_per_token": 5e-7, "output_cost_per_token": 1e-6 },
              "d": { "litellm_provider": "anthropic", "input_cost_per_token": 3e-6, "output_cost_per_token": 1.5e-5 },
              "same": { "litellm_provider": "openai", "input_cost_per_token": 0.0000030, "output_cost_per_token": 0.000015 } }
            """);
        var diff = CatalogDiff.Compare(before, after);

        Assert.Equal(["c", "d"], diff.Added);         // c had no price before: it could not be served, so it is new
        Assert.Equal(["b"], diff.Removed);
        Assert.Equal(
            [new PriceChange("a", "output", 2m, 3m), new PriceChange("a", "cache_read", 0.1m, null)],
            diff.Changed);
        Assert.False(diff.IsEmpty);
        Assert.True(CatalogDiff.Compare(after, after).IsEmpty);
    }

    [Fact]
    public void The_bundled_catalog_against_itself_changes_nothing() =>
        Assert.True(CatalogDiff.Compare(TestCatalog.Catalog, PriceCatalog.Load(TestCatalog.Bytes)).IsEmpty);
}
