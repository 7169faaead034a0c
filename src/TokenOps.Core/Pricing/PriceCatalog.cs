using System.Collections.Frozen;
using System.Diagnostics.CodeAnalysis;

namespace TokenOps.Core.Pricing;

/// <summary>
/// An immutable, versioned snapshot of model prices: the LiteLLM-format catalog with operator overrides applied.
/// Swap the whole snapshot to reload prices.
/// </summary>
public sealed class PriceCatalog
{
    /// <summary>Prefixes a caller may put in front of a first-party model id that the catalog keys without it.</summary>
    private static readonly string[] StrippablePrefixes = ["openai/", "anthropic/"];

    private readonly FrozenDictionary<string, ModelPrice> _models;
    private readonly FrozenDictionary<string, ModelPrice>.AlternateLookup<ReadOnlySpan<char>> _bySpan;
    private readonly IReadOnlyList<ModelPrice> _all;
    private readonly Lazy<ILookup<string, ModelPrice>> _families;

    private PriceCatalog(Dictionary<string, ModelPrice> models, string version)
    {
        _models = models.ToFrozenDictionary(StringComparer.Ordinal);
        _bySpan = _models.GetAlternateLookup<ReadOnlySpan<char>>();
        _all = Array.AsReadOnly(_models.Values.OrderBy(p => p.Model, StringComparer.Ordinal).ToArray());
        Version = version;
        _families = new Lazy<ILookup<string, ModelPrice>>(IndexFamilies);
    }

    /// <summary>Identifies the exact prices (catalog bytes + overrides); every ledger row records it.</summary>
    public string Version { get; }

    /// <summary>Number of model entries, priced or not.</summary>
    public int Count => _models.Count;

    /// <summary>All entries, ordered by model key (ordinal).</summary>
    public IEnumerable<ModelPrice> All => _all;

    /// <summary>Entries that can be costed (input and output rates known).</summary>
    public int PricedCount => _all.Count(p => p.IsPriced);

    /// <summary>The version a catalog file alone gets (no overrides): how stored catalogs are named.</summary>
    public static string VersionOf(ReadOnlySpan<byte> litellmJson) => CatalogVersion.Compute(litellmJson, null);

    /// <exception cref="PriceCatalogException">The JSON is malformed, a rate is not a non-negative number, or an override is invalid.</exception>
    public static PriceCatalog Load(ReadOnlySpan<byte> litellmJson, IReadOnlyDictionary<string, PriceOverride>? overrides = null)
    {
        var models = LiteLlmCatalogReader.Read(litellmJson);
        if (overrides is not null)
        {
            PriceOverrideApplier.Apply(models, overrides);
        }

        return new PriceCatalog(models, CatalogVersion.Compute(litellmJson, overrides));
    }

    /// <summary>
    /// The priced entries of <paramref name="model"/>'s family (<see cref="ModelFamily"/>), newest first, without the
    /// model itself; empty when the id has no family or no version (<see cref="ModelFamily.HasVersion"/>), or the catalog
    /// no sibling. Indexed once per catalog, on first use.
    /// </summary>
    public IEnumerable<ModelPrice> FamilySiblings(string model)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (!ModelFamily.TryParse(model, out var family) || !family.HasVersion) return [];
        return _families.Value[family.Name].Where(p => !string.Equals(p.Model, model, StringComparison.Ordinal));
    }

    private ILookup<string, ModelPrice> IndexFamilies() =>
        _all.Where(p => p.IsPriced)
            .Select(p => ModelFamily.TryParse(p.Model, out var f) ? (Family: f, Price: p) : default)
            .Where(x => x.Family is not null)
            .OrderByDescending(x => x.Family)
            .ToLookup(x => x.Family.Name, x => x.Price, StringComparer.Ordinal);

    /// <summary>
    /// Exact, case-sensitive key lookup; if absent, retries without a known provider prefix (<c>openai/gpt-4o</c> ->
    /// <c>gpt-4o</c>). Returns unpriced entries too: check <see cref="ModelPrice.IsPriced"/>.
    /// </summary>
    public bool TryGet(string model, [MaybeNullWhen(false)] out ModelPrice price)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (_models.TryGetValue(model, out price))
        {
            return true;
        }

        foreach (var prefix in StrippablePrefixes)
        {
            if (model.StartsWith(prefix, StringComparison.Ordinal) && _bySpan.TryGetValue(model.AsSpan(prefix.Length), out price))
            {
                return true;
            }
        }

        price = null;
        return false;
    }
}
