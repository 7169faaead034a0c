using System.Globalization;
using System.Text.Json;
using TokenOps.Core.Import;
using TokenOps.Core.Ledger;
using TokenOps.Core.Metering;
using TokenOps.Core.Pricing;

namespace TokenOps.Storage.Import;

/// <summary>
/// Imports the providers' own usage and cost reports (the Admin API JSON pages, saved to a file) into the ledger.
/// Accepted files: one page object, a JSON array of pages, or JSON lines with one page per line. A page is
/// <c>{"data": [bucket, ...], "has_more", "next_page"}</c>; each bucket has a time range and <c>results</c>:
/// <list type="bullet">
/// <item>OpenAI <c>GET /v1/organization/usage/completions</c>: bucket <c>start_time</c>/<c>end_time</c> (Unix seconds), result
/// <c>input_tokens</c> (includes cached), <c>input_cached_tokens</c>, <c>output_tokens</c>, <c>num_model_requests</c>,
/// <c>model</c>, <c>batch</c>, <c>project_id</c>, <c>user_id</c>, <c>api_key_id</c>, <c>service_tier</c> -> one row per
/// result, priced with the catalog.</item>
/// <item>OpenAI <c>GET /v1/organization/costs</c>: result <c>amount: {value (USD), currency}</c>, <c>line_item</c>, <c>project_id</c>
/// -> one cost-only row (no tokens).</item>
/// <item>Anthropic <c>GET /v1/organizations/usage_report/messages</c>: bucket <c>starting_at</c>/<c>ending_at</c> (RFC 3339), result
/// <c>uncached_input_tokens</c>, <c>cache_read_input_tokens</c>, <c>cache_creation: {ephemeral_5m_input_tokens,
/// ephemeral_1h_input_tokens}</c>, <c>output_tokens</c>, <c>model</c>, <c>service_tier</c>, <c>workspace_id</c>,
/// <c>api_key_id</c>, <c>context_window</c> -> one row per result, priced with the catalog.</item>
/// <item>Anthropic <c>GET /v1/organizations/cost_report</c>: result <c>amount</c> (a decimal string in cents, the lowest
/// currency unit), <c>currency</c>, <c>description</c>, <c>cost_type</c>, <c>model</c>, <c>token_type</c>, <c>workspace_id</c>
/// -> one cost-only row.</item>
/// </list>
/// Row ids hash the bucket and every grouping field, so importing the same file (or an overlapping one) twice adds nothing.
/// Cost-only rows have route <c>import.&lt;provider&gt;-costs</c>; usage rows <c>import.&lt;provider&gt;-usage</c>.
/// </summary>
public sealed class ProviderExportImporter(ILedgerStore store, PriceCatalog catalog, string? person, string? team = null)
{
    private readonly ILedgerStore _store = store;

    public ImportSummary Import(string path, string provider)
    {
        var skipped = new SkipCounter();
        var rows = new List<LedgerEntry>();
        long results = 0;
        var display = Path.GetFileName(path);
        byte[] bytes;
        try { bytes = File.ReadAllBytes(path); }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            skipped.Add(display, 0, $"unreadable: {ex.Message}");
            return new ImportSummary(1, 0, 0, 0, 0, skipped);
        }
        foreach (var (page, line) in Pages(bytes, display, skipped))
        {
            using (page)
            {
                if (page.RootElement.ValueKind != JsonValueKind.Object || !page.RootElement.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Array)
                {
                    skipped.Add(display, line, "not a usage or cost report page (no \"data\" array)");
                    continue;
                }
                foreach (var bucket in data.EnumerateArray())
                {
                    if (!TryRange(bucket, out var start, out var end) || !bucket.TryGetProperty("results", out var list) || list.ValueKind != JsonValueKind.Array)
                    {
                        skipped.Add(display, line, "bucket without a time range or results");
                        continue;
                    }
                    foreach (var r in list.EnumerateArray())
                    {
                        results++;
                        var row = provider == "openai" ? OpenAI(r, start, end, out var error) : Anthropic(r, start, end, out error);
                        if (row is null) skipped.Add(display, line, error ?? "invalid result");
                        else rows.Add(row);
                    }
                }
            }
        }
        var added = 0L;
        foreach (var chunk in rows.Chunk(5000)) added += _store.Merge(chunk);
        return new ImportSummary(1, 0, results, added, 0, skipped);
    }

    private static IEnumerable<(JsonDocument Doc, int Line)> Pages(byte[] bytes, string display, SkipCounter skipped)
    {
        JsonDocument? whole = null;
        try { whole = JsonDocument.Parse(bytes); }
        catch (JsonException) { }
        if (whole is not null)
        {
            if (whole.RootElement.ValueKind == JsonValueKind.Array)
            {
                var pages = whole.RootElement.EnumerateArray().Select(p => JsonDocument.Parse(p.GetRawText())).ToList();
                whole.Dispose();
                foreach (var p in pages) yield return (p, 0);
            }
            else yield return (whole, 0);
            yield break;
        }
        var lineNumber = 0;
        foreach (var raw in SplitLines(bytes))
        {
            lineNumber++;
            if (raw.Length == 0) continue;
            JsonDocument? doc = null;
            try { doc = JsonDocument.Parse(raw); }
            catch (JsonException) { skipped.Add(display, lineNumber, "corrupt or truncated JSON"); }
            if (doc is not null) yield return (doc, lineNumber);
        }
    }

    private static IEnumerable<ReadOnlyMemory<byte>> SplitLines(byte[] bytes)
    {
        var start = 0;
        for (var i = 0; i <= bytes.Length; i++)
        {
            if (i == bytes.Length || bytes[i] == (byte)'\n')
            {
                var end = i > start && bytes[i - 1] == (byte)'\r' ? i - 1 : i;
                yield return bytes.AsMemory(start, end - start);
                start = i + 1;
            }
        }
    }

    private static bool TryRange(JsonElement bucket, out DateTimeOffset start, out DateTimeOffset end)
    {
        start = end = default;
        if (bucket.ValueKind != JsonValueKind.Object) return false;
        if (bucket.TryGetProperty("start_time", out var s) && s.TryGetInt64(out var ss))
        {
            start = DateTimeOffset.FromUnixTimeSeconds(ss);
            end = bucket.TryGetProperty("end_time", out var e) && e.TryGetInt64(out var es) ? DateTimeOffset.FromUnixTimeSeconds(es) : start;
            return true;
        }
        if (bucket.TryGetProperty("starting_at", out var a) && a.ValueKind == JsonValueKind.String && a.TryGetDateTimeOffset(out start))
        {
            end = bucket.TryGetProperty("ending_at", out var b) && b.ValueKind == JsonValueKind.String && b.TryGetDateTimeOffset(out var be) ? be : start;
            return true;
        }
        return false;
    }

    private LedgerEntry? OpenAI(JsonElement r, DateTimeOffset start, DateTimeOffset end, out string? error)
    {
        error = null;
        if (r.ValueKind != JsonValueKind.Object) { error = "result is not an object"; return null; }
        var project = Text(r, "project_id");
        if (r.TryGetProperty("amount", out var amount))
        {
            if (amount.ValueKind != JsonValueKind.Object || !amount.TryGetProperty("value", out var v) || !TryDecimal(v, out var usd)) { error = "amount.value is not a number"; return null; }
            var lineItem = Text(r, "line_item");
            return CostRow("openai", start, end, usd, project, lineItem, $"openai-cost|{start.ToUnixTimeSeconds()}|{end.ToUnixTimeSeconds()}|{project}|{lineItem}|{Text(r, "organization_id")}");
        }
        var model = Text(r, "model");
        if (model is null) { error = "usage result without a model (export grouped by model, please)"; return null; }
        var input = Long(r, "input_tokens");
        var cached = Math.Min(Long(r, "input_cached_tokens"), input);
        var batch = r.TryGetProperty("batch", out var b) && b.ValueKind == JsonValueKind.True;
        var tier = batch ? ServiceTier.Batch : Text(r, "service_tier") switch { "flex" => ServiceTier.Flex, "priority" => ServiceTier.Priority, _ => ServiceTier.Standard };
        var usage = new TokenUsage { UncachedInput = input - cached, CacheRead = cached, Output = Long(r, "output_tokens"), Tier = tier };
        var key = $"openai-usage|{start.ToUnixTimeSeconds()}|{end.ToUnixTimeSeconds()}|{model}|{project}|{Text(r, "user_id")}|{Text(r, "api_key_id")}|{batch}|{Text(r, "service_tier")}";
        // OpenAI's buckets say nothing of request sizes: priced at base rates, never at a long-context tier the sum crossed.
        return UsageRow("openai", start, end, model, usage, project, key, 0, out error);
    }

    private LedgerEntry? Anthropic(JsonElement r, DateTimeOffset start, DateTimeOffset end, out string? error)
    {
        error = null;
        if (r.ValueKind != JsonValueKind.Object) { error = "result is not an object"; return null; }
        var workspace = Text(r, "workspace_id");
        if (r.TryGetProperty("amount", out var amount))
        {
            if (!TryDecimal(amount, out var cents)) { error = "amount is not a decimal"; return null; }
            var description = Text(r, "description");
            return CostRow("anthropic", start, end, cents / 100m, workspace, description,
                $"anthropic-cost|{start:O}|{end:O}|{workspace}|{description}|{Text(r, "cost_type")}|{Text(r, "model")}|{Text(r, "token_type")}|{Text(r, "context_window")}|{Text(r, "service_tier")}");
        }
        var model = Text(r, "model");
        if (model is null) { error = "usage result without a model (export grouped by model, please)"; return null; }
        long w5 = 0, w1 = 0;
        if (r.TryGetProperty("cache_creation", out var cc) && cc.ValueKind == JsonValueKind.Object)
        {
            w5 = Long(cc, "ephemeral_5m_input_tokens");
            w1 = Long(cc, "ephemeral_1h_input_tokens");
        }
        var tier = Text(r, "service_tier") switch { "batch" => ServiceTier.Batch, "priority" => ServiceTier.Priority, _ => ServiceTier.Standard };
        var usage = new TokenUsage
        {
            UncachedInput = Long(r, "uncached_input_tokens"), CacheRead = Long(r, "cache_read_input_tokens"),
            CacheWrite5m = w5, CacheWrite1h = w1, Output = Long(r, "output_tokens"), Tier = tier,
        };
        var key = $"anthropic-usage|{start:O}|{end:O}|{model}|{workspace}|{Text(r, "api_key_id")}|{Text(r, "service_tier")}|{Text(r, "context_window")}|{Text(r, "inference_geo")}";
        return UsageRow("anthropic", start, end, model, usage, workspace, key, RequestInputOf(Text(r, "context_window")), out error);
    }

    private LedgerEntry? UsageRow(string provider, DateTimeOffset start, DateTimeOffset end, string model, TokenUsage usage, string? project, string key, long requestInputTokens, out string? error)
    {
        error = null;
        if (!catalog.TryGet(model, out var price) || !price.IsPriced) { error = $"unknown model '{model}'"; return null; }
        return new LedgerEntry
        {
            Id = provider[..2] + "x_" + LedgerImporter.Hash(key),
            StartedAt = start, EndedAt = end, Route = $"import.{provider}-usage", Person = person, Team = team, Project = project,
            Provider = provider, RequestedModel = model, ServedModel = model, Usage = usage,
            Cost = CostCalculator.Compute(price, usage, requestInputTokens), CatalogVersion = catalog.Version, Status = 200,
            Outcome = LedgerOutcome.Ok, Source = provider + "-export",
        };
    }

    /// <summary>
    /// The input of one request in an Anthropic usage bucket, from its <c>context_window</c> ("0-200k", "200k-1M"): a bucket
    /// adds many requests, and the long-context tier applies per request, so the tier comes from the bucket's lower bound
    /// (just above it), never from the bucket's total. A bucket without the field is taken as below every threshold.
    /// </summary>
    internal static long RequestInputOf(string? contextWindow)
    {
        if (string.IsNullOrEmpty(contextWindow)) return 0;
        var dash = contextWindow.IndexOf('-');
        var lower = (dash < 0 ? contextWindow : contextWindow[..dash]).Trim().ToLowerInvariant();
        long scale = lower.EndsWith('k') ? 1_000 : lower.EndsWith('m') ? 1_000_000 : 1;
        if (scale > 1) lower = lower[..^1];
        return long.TryParse(lower, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n > 0 ? n * scale + 1 : 0;
    }

    private LedgerEntry CostRow(string provider, DateTimeOffset start, DateTimeOffset end, decimal usd, string? project, string? item, string key) => new()
    {
        Id = provider[..2] + "c_" + LedgerImporter.Hash(key),
        StartedAt = start, EndedAt = end, Route = $"import.{provider}-costs", Person = person, Team = team, Project = project,
        Provider = provider, Feature = item, CostNanos = NanoUsd.FromUsd(usd), Status = 200, Outcome = LedgerOutcome.Ok,
        Source = provider + "-export",
    };

    private static string? Text(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static long Long(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var n) && n > 0 ? n : 0;

    private static bool TryDecimal(JsonElement v, out decimal value)
    {
        value = 0;
        return v.ValueKind switch
        {
            JsonValueKind.Number => v.TryGetDecimal(out value),
            JsonValueKind.String => decimal.TryParse(v.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out value),
            _ => false,
        };
    }
}
