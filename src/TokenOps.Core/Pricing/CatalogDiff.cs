namespace TokenOps.Core.Pricing;

/// <summary>One bucket's price of one model before and after, in USD per million tokens (null: the catalog has none).</summary>
public sealed record PriceChange(string Model, string Bucket, decimal? BeforePerMTok, decimal? AfterPerMTok);

/// <summary>What a new catalog changes against the one in force: priced models added and removed, and each changed rate.</summary>
public sealed record CatalogDiff(IReadOnlyList<string> Added, IReadOnlyList<string> Removed, IReadOnlyList<PriceChange> Changed)
{
    private const decimal TokensPerMillion = 1_000_000m;

    /// <summary>The buckets compared, by their ledger names, and how each is read from an entry (USD per token).</summary>
    public static readonly IReadOnlyList<(string Bucket, Func<ModelPrice, decimal?> Rate)> Buckets =
    [
        ("input", p => p.Input), ("output", p => p.Output), ("cache_read", p => p.CacheRead),
        ("cache_write_5m", p => p.CacheWrite5m), ("cache_write_1h", p => p.CacheWrite1h), ("reasoning", p => p.Reasoning),
        ("batch_input", p => p.BatchInput), ("batch_output", p => p.BatchOutput),
    ];

    public bool IsEmpty => Added.Count == 0 && Removed.Count == 0 && Changed.Count == 0;

    /// <summary>
    /// Compares the priced entries of two catalogs (an entry without input and output rates cannot be served, so it
    /// counts as absent). Models are in ordinal order, buckets in <see cref="Buckets"/> order.
    /// </summary>
    public static CatalogDiff Compare(PriceCatalog before, PriceCatalog after)
    {
        var old = before.All.Where(p => p.IsPriced).ToDictionary(p => p.Model, StringComparer.Ordinal);
        var added = new List<string>();
        var changed = new List<PriceChange>();
        foreach (var now in after.All.Where(p => p.IsPriced))
        {
            if (!old.Remove(now.Model, out var was))
            {
                added.Add(now.Model);
                continue;
            }
            foreach (var (bucket, rate) in Buckets)
            {
                var (a, b) = (rate(was), rate(now));
                if (a != b) changed.Add(new PriceChange(now.Model, bucket, a * TokensPerMillion, b * TokensPerMillion));
            }
        }
        return new CatalogDiff(added, [.. old.Keys.Order(StringComparer.Ordinal)], changed);
    }
}
