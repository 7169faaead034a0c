using System.Globalization;
using System.Text.Json;
using TokenOps.Core.Ledger;
using TokenOps.Core.Outcomes;
using TokenOps.Core.Pricing;

namespace TokenOps.Core.Exports;

/// <summary>
/// Ledger rows as FOCUS 1.2 (FinOps Open Cost and Usage Specification) cost and usage rows.
/// Granularity: one FOCUS row per ledger row per cost class with usage or cost (uncached_input, cache_read,
/// cache_write_5m, cache_write_1h, output without reasoning, reasoning, tool_calls, audio_input, audio_output,
/// image_input, image_output, images, audio_seconds, characters), so ConsumedQuantity is the quantity of one priced SKU
/// in its own unit (tokens, calls, images, seconds, characters) and the classes are disjoint. Each class's cost is its nano-rounded ledger cost; the ledger rounds the request's total once,
/// so any nano-dollar left between the two goes to the request's costliest class: the export sums to the ledger
/// exactly. Ledger rows without tokens and without cost (refusals, provider errors) have no FOCUS row.
/// ChargePeriod is the UTC hour the request started in, BillingPeriod its calendar month.
/// All four cost columns are equal: TokenOps prices at the catalog's list rates (no negotiated discount or amortisation).
/// </summary>
public static class FocusExport
{
    /// <summary>The 57 FOCUS 1.2 columns in the specification's order, then TokenOps' own x_ columns.</summary>
    public static readonly IReadOnlyList<string> Columns =
    [
        "AvailabilityZone", "BilledCost", "BillingAccountId", "BillingAccountName", "BillingAccountType", "BillingCurrency",
        "BillingPeriodEnd", "BillingPeriodStart", "CapacityReservationId", "CapacityReservationStatus", "ChargeCategory",
        "ChargeClass", "ChargeDescription", "ChargeFrequency", "ChargePeriodEnd", "ChargePeriodStart",
        "CommitmentDiscountCategory", "CommitmentDiscountId", "CommitmentDiscountName", "CommitmentDiscountQuantity",
        "CommitmentDiscountStatus", "CommitmentDiscountType", "CommitmentDiscountUnit", "ConsumedQuantity", "ConsumedUnit",
        "ContractedCost", "ContractedUnitPrice", "EffectiveCost", "InvoiceId", "InvoiceIssuerName", "ListCost",
        "ListUnitPrice", "PricingCategory", "PricingCurrency", "PricingCurrencyContractedUnitPrice",
        "PricingCurrencyEffectiveCost", "PricingCurrencyListUnitPrice", "PricingQuantity", "PricingUnit", "ProviderName",
        "PublisherName", "RegionId", "RegionName", "ResourceId", "ResourceName", "ResourceType", "ServiceCategory",
        "ServiceName", "ServiceSubcategory", "SkuId", "SkuMeter", "SkuPriceDetails", "SkuPriceId", "SubAccountId",
        "SubAccountName", "SubAccountType", "Tags",
        "x_person", "x_team", "x_project", "x_feature", "x_outcome", "x_outcome_type", "x_outcome_rule", "x_ticket", "x_pull_request", "x_request_id",
        "x_request_status", "x_route", "x_token_class", "x_service_tier", "x_estimated", "x_catalog_version", "x_source",
        "x_price_estimated", "x_batch_id",
    ];

    public const int FocusColumnCount = 57;

    private static readonly Dictionary<string, int> Index = Columns.Select((c, i) => (c, i)).ToDictionary(p => p.c, p => p.i, StringComparer.Ordinal);

    public static int ColumnIndex(string column) => Index[column];

    private static readonly (string Class, string Meter, string Unit, Func<LedgerEntry, decimal> Quantity, Func<LedgerEntry, decimal> Cost)[] Classes =
    [
        // Audio and image tokens are priced apart, so the input and output classes count only the plain text tokens.
        ("uncached_input", "Input Tokens", "Tokens", e => e.Usage.PlainInput, e => e.Cost.UncachedInput),
        ("cache_read", "Cache Read Input Tokens", "Tokens", e => e.Usage.CacheRead, e => e.Cost.CacheRead),
        ("cache_write_5m", "Cache Write (5 min) Input Tokens", "Tokens", e => e.Usage.CacheWrite5m, e => e.Cost.CacheWrite5m),
        ("cache_write_1h", "Cache Write (1 h) Input Tokens", "Tokens", e => e.Usage.CacheWrite1h, e => e.Cost.CacheWrite1h),
        // Output cost excludes reasoning (priced apart), so the output class counts only the non-reasoning tokens.
        ("output", "Output Tokens", "Tokens", e => e.Usage.PlainOutput, e => e.Cost.Output),
        ("reasoning", "Reasoning Output Tokens", "Tokens", e => e.Usage.Reasoning, e => e.Cost.Reasoning),
        ("tool_calls", "Provider Tool Calls", "Calls", e => e.Usage.WebSearchCalls + e.Usage.WebFetchCalls + e.Usage.FileSearchCalls, e => e.Cost.ToolCalls),
        ("audio_input", "Audio Input Tokens", "Tokens", e => e.Usage.AudioInput, e => e.Cost.AudioInput),
        ("audio_output", "Audio Output Tokens", "Tokens", e => e.Usage.AudioOutput, e => e.Cost.AudioOutput),
        ("image_input", "Image Input Tokens", "Tokens", e => e.Usage.ImageInput, e => e.Cost.ImageInput),
        ("image_output", "Image Output Tokens", "Tokens", e => e.Usage.ImageOutput, e => e.Cost.ImageOutput),
        ("images", "Images Generated", "Images", e => e.Usage.Images, e => e.Cost.Images),
        ("audio_seconds", "Audio Seconds", "Seconds", e => e.Usage.AudioMilliseconds / 1000m, e => e.Cost.AudioSeconds),
        ("characters", "Input Characters", "Characters", e => e.Usage.Characters, e => e.Cost.Characters),
    ];

    /// <summary>
    /// The FOCUS rows of one ledger row (fields aligned with <see cref="Columns"/>; null is an empty cell). <paramref name="link"/>
    /// is the business outcome the row links to (<see cref="OutcomeLinker"/>): its id, type and linking rule fill x_outcome,
    /// x_outcome_type and x_outcome_rule on every row of the request; without one (or unlinked) they stay empty.
    /// </summary>
    public static IEnumerable<string?[]> Rows(LedgerEntry e, LinkResult? link = null)
    {
        var parts = new List<(int Class, decimal Tokens, long Nanos, decimal Exact)>(Classes.Length);
        for (var i = 0; i < Classes.Length; i++)
        {
            var (_, _, _, tokens, cost) = Classes[i];
            var t = tokens(e);
            var exact = cost(e);
            var n = NanoUsd.FromUsd(exact);
            if (t != 0 || exact != 0) parts.Add((i, t, n, exact));
        }
        if (parts.Count == 0)
        {
            if (e.CostNanos == 0) yield break;
            // A cost without token detail (for example an imported bill line): one row for the whole request.
            parts.Add((-1, e.Usage.Total, e.CostNanos, NanoUsd.ToUsd(e.CostNanos)));
        }
        var remainder = e.CostNanos - parts.Sum(p => p.Nanos);
        if (remainder != 0)
        {
            var top = 0;
            for (var i = 1; i < parts.Count; i++) if (Math.Abs(parts[i].Exact) > Math.Abs(parts[top].Exact)) top = i;
            parts[top] = parts[top] with { Nanos = parts[top].Nanos + remainder };
        }
        foreach (var p in parts) yield return Row(e, p.Class, p.Tokens, p.Nanos, link?.Outcome is null ? null : link);
    }

    private static string?[] Row(LedgerEntry e, int classIndex, decimal tokens, long nanos, LinkResult? link)
    {
        var tokenClass = classIndex < 0 ? "total" : Classes[classIndex].Class;
        var meter = classIndex < 0 ? "Tokens" : Classes[classIndex].Meter;
        var provider = e.Provider ?? e.Source;
        var model = e.ServedModel ?? e.RequestedModel ?? "unknown";
        var tier = e.Usage.Tier.ToString().ToLowerInvariant();
        var cost = Money(nanos);
        var unitPrice = tokens > 0 ? Money(decimal.Round(NanoUsd.ToUsd(nanos) / tokens, 15, MidpointRounding.AwayFromZero)) : null;
        var hour = new DateTimeOffset(e.StartedAt.UtcDateTime.Year, e.StartedAt.UtcDateTime.Month, e.StartedAt.UtcDateTime.Day, e.StartedAt.UtcDateTime.Hour, 0, 0, TimeSpan.Zero);
        var month = new DateTimeOffset(hour.Year, hour.Month, 1, 0, 0, 0, TimeSpan.Zero);

        var r = new string?[Columns.Count];
        void Set(string column, string? value) => r[Index[column]] = value;
        Set("BilledCost", cost);
        Set("BillingAccountId", provider);
        Set("BillingAccountName", provider);
        Set("BillingAccountType", "Provider Account");
        Set("BillingCurrency", "USD");
        Set("BillingPeriodStart", Time(month));
        Set("BillingPeriodEnd", Time(month.AddMonths(1)));
        Set("ChargeCategory", "Usage");
        Set("ChargeDescription", $"{model} {meter.ToLowerInvariant()} via {e.Route}");
        Set("ChargeFrequency", "Usage-Based");
        Set("ChargePeriodStart", Time(hour));
        Set("ChargePeriodEnd", Time(hour.AddHours(1)));
        Set("ConsumedQuantity", tokens.ToString(CultureInfo.InvariantCulture));
        var unit = classIndex < 0 ? "Tokens" : Classes[classIndex].Unit;
        Set("ConsumedUnit", unit);
        Set("ContractedCost", cost);
        Set("ContractedUnitPrice", unitPrice);
        Set("EffectiveCost", cost);
        Set("InvoiceIssuerName", provider);
        Set("ListCost", cost);
        Set("ListUnitPrice", unitPrice);
        Set("PricingCategory", "Standard");
        Set("PricingQuantity", tokens.ToString(CultureInfo.InvariantCulture));
        Set("PricingUnit", unit);
        Set("ProviderName", provider);
        Set("PublisherName", provider);
        Set("ResourceId", $"{provider}/{model}");
        Set("ResourceName", model);
        Set("ResourceType", "Model");
        Set("ServiceCategory", "AI and Machine Learning");
        Set("ServiceName", $"{provider} API");
        Set("ServiceSubcategory", "Generative AI");
        Set("SkuId", $"{model}:{tokenClass}");
        Set("SkuMeter", meter);
        Set("SkuPriceDetails", Json(w =>
        {
            w.WriteString("TokenClass", tokenClass);
            w.WriteString("ServiceTier", tier);
            if (e.CatalogVersion is not null) w.WriteString("CatalogVersion", e.CatalogVersion);
        }));
        Set("SkuPriceId", $"{e.CatalogVersion ?? "unversioned"}:{model}:{tokenClass}:{tier}");
        if (e.Team is not null)
        {
            Set("SubAccountId", e.Team);
            Set("SubAccountName", e.Team);
            Set("SubAccountType", "Team");
        }
        Set("Tags", Tags(e));
        Set("x_person", e.Person);
        Set("x_team", e.Team);
        Set("x_project", e.Project);
        Set("x_feature", e.Feature);
        if (link is { Outcome: { } outcome } l)
        {
            Set("x_outcome", outcome.Id);
            Set("x_outcome_type", OutcomeTypes.Name(outcome.Type));
            Set("x_outcome_rule", SpendReconciliation.RuleName(l.Rule));
        }
        Set("x_ticket", e.Ticket);
        Set("x_pull_request", e.PullRequest);
        Set("x_request_id", e.Id);
        Set("x_request_status", e.Outcome.Name());
        Set("x_route", e.Route);
        Set("x_token_class", tokenClass);
        Set("x_service_tier", tier);
        Set("x_estimated", e.Estimated ? "true" : "false");
        Set("x_catalog_version", e.CatalogVersion);
        Set("x_source", e.Source);
        // Priced at a family sibling's rates (prices.familyFallback): the cost is an estimate, not the model's list price.
        Set("x_price_estimated", e.PriceEstimated ? "true" : "false");
        // A batch-lane line: the batch it was part of (its cost is at the provider's batch price).
        Set("x_batch_id", e.BatchId);
        return r;
    }

    /// <summary>
    /// FOCUS Tags: a JSON object. The request's free tags ("k=v" pairs; a bare key becomes true) keep their keys;
    /// TokenOps' own attribution keys carry the "tokenops/" prefix, as the spec asks of provider-defined keys.
    /// </summary>
    public static string? Tags(LedgerEntry e)
    {
        var pairs = new List<(string Key, string? Value)>();
        if (e.Team is not null) pairs.Add(("tokenops/team", e.Team));
        if (e.Project is not null) pairs.Add(("tokenops/project", e.Project));
        if (e.Feature is not null) pairs.Add(("tokenops/feature", e.Feature));
        if (!string.IsNullOrEmpty(e.Tags))
        {
            foreach (var tag in e.Tags.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                var eq = tag.IndexOf('=', StringComparison.Ordinal);
                pairs.Add(eq < 0 ? (tag, null) : (tag[..eq], tag[(eq + 1)..]));
            }
        }
        if (pairs.Count == 0) return null;
        return Json(w =>
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var (key, value) in pairs)
            {
                if (!seen.Add(key)) continue;
                if (value is null) w.WriteBoolean(key, true); else w.WriteString(key, value);
            }
        });
    }

    /// <summary>Decimal USD, invariant culture, no exponent, no trailing zeros.</summary>
    public static string Money(decimal usd) => (usd / 1.000000000000000000000000000000000m).ToString(CultureInfo.InvariantCulture);

    private static string Money(long nanos) => Money(NanoUsd.ToUsd(nanos));

    /// <summary>ISO 8601 UTC, to the second: YYYY-MM-DDTHH:mm:ssZ.</summary>
    public static string Time(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private static string Json(Action<Utf8JsonWriter> body)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            body(w);
            w.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }
}
