using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using TokenOps.Core.Ledger;
using TokenOps.Core.Metering;
using TokenOps.Core.Pricing;
using TokenOps.Core.Savings;
using TokenOps.Gateway.Protocols;
using TokenOps.Gateway.Providers;
using TokenOps.Storage;

namespace TokenOps.Gateway.Batches;

/// <summary>
/// One ledger row per result line, whatever became of it. A succeeded line is priced at the batch tier (the catalog's
/// batch rates, else 50 %), with the difference to the standard price as lever <c>batch</c>. An errored, cancelled or
/// expired line is a $0 row with outcome ProviderError and its error code (the providers bill none of them), so every
/// line of a batch is accounted. A row's id is derived from the batch id and the line's custom_id: writing it again (a
/// second fetch, another replica, a restart) is ignored by the ledger.
/// </summary>
public static class BatchRows
{
    public static string RowId(string batchId, string customId) =>
        "bat_" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(batchId + "\n" + customId)))[..32];

    /// <summary>The rows of one results document (OpenAI output or error file, Anthropic results), one per JSONL line.</summary>
    public static IEnumerable<LedgerEntry> Read(StoredBatch batch, ReadOnlyMemory<byte> jsonl, ModelRouter router, DateTimeOffset endedAt)
    {
        var text = Encoding.UTF8.GetString(jsonl.Span);
        foreach (var raw in text.Split('\n'))
        {
            if (raw.Trim().Length == 0) continue;
            using var doc = JsonDocument.Parse(raw);
            yield return batch.Protocol == BatchProtocols.Anthropic
                ? Anthropic(batch, doc.RootElement, router, endedAt)
                : OpenAI(batch, doc.RootElement, router, endedAt);
        }
    }

    private static LedgerEntry OpenAI(StoredBatch batch, JsonElement line, ModelRouter router, DateTimeOffset endedAt)
    {
        var customId = line.GetProperty("custom_id").GetString()!;
        if (line.TryGetProperty("response", out var response) && response.ValueKind == JsonValueKind.Object)
        {
            var status = response.TryGetProperty("status_code", out var s) && s.TryGetInt32(out var code) ? code : 0;
            var requestId = response.TryGetProperty("request_id", out var r) ? r.GetString() : null;
            var body = response.TryGetProperty("body", out var b) ? b : default;
            if (status == 200 && body.ValueKind == JsonValueKind.Object && body.TryGetProperty("usage", out var usage))
            {
                var model = body.GetProperty("model").GetString()!;
                return Priced(batch, customId, model, OpenAIUsage(usage), router, endedAt, requestId);
            }
            var error = body.ValueKind == JsonValueKind.Object && body.TryGetProperty("error", out var e) && e.ValueKind == JsonValueKind.Object
                ? (e.TryGetProperty("code", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString() : null)
                  ?? (e.TryGetProperty("type", out var t) ? t.GetString() : null)
                : null;
            return Unpriced(batch, customId, status, error ?? "provider_error", endedAt, requestId);
        }
        var lineError = line.TryGetProperty("error", out var le) && le.ValueKind == JsonValueKind.Object && le.TryGetProperty("code", out var lc) ? lc.GetString() : null;
        return Unpriced(batch, customId, 0, lineError ?? "provider_error", endedAt, null);
    }

    private static LedgerEntry Anthropic(StoredBatch batch, JsonElement line, ModelRouter router, DateTimeOffset endedAt)
    {
        var customId = line.GetProperty("custom_id").GetString()!;
        var result = line.GetProperty("result");
        var type = result.GetProperty("type").GetString();
        if (type == "succeeded")
        {
            var message = result.GetProperty("message");
            return Priced(batch, customId, message.GetProperty("model").GetString()!, AnthropicUsage(message.GetProperty("usage")), router, endedAt,
                message.TryGetProperty("id", out var id) ? id.GetString() : null);
        }
        var code = type switch
        {
            "errored" when result.TryGetProperty("error", out var e) && e.TryGetProperty("error", out var inner) && inner.TryGetProperty("type", out var t) => t.GetString()!,
            "canceled" => "batch_canceled",
            "expired" => "batch_expired",
            _ => "provider_error",
        };
        return Unpriced(batch, customId, 0, code, endedAt, null);
    }

    private static LedgerEntry Priced(StoredBatch batch, string customId, string model, TokenUsage usage, ModelRouter router, DateTimeOffset endedAt, string? requestId)
    {
        ModelRoute? route = null;
        try
        {
            route = router.Resolve(model, batch.Protocol == BatchProtocols.Anthropic ? Dialect.Anthropic : Dialect.OpenAI);
        }
        catch (GatewayException)
        {
            // The provider answered with a model name the routes no longer price (renamed, dated): the request's own model
            // was checked at submit; priced below at $0 only if even that fails, flagged estimated.
        }
        var price = route?.Price;
        var cost = price is null ? CostBreakdown.Zero : CostCalculator.Compute(price, usage);
        var standard = price is null ? 0m : CostCalculator.Compute(price, usage with { Tier = ServiceTier.Standard }).Total;
        return Row(batch, customId, endedAt, requestId) with
        {
            Provider = batch.Provider, RequestedModel = model, ServedModel = route?.ServedModel ?? model, Usage = usage, Cost = cost,
            CatalogVersion = route?.CatalogVersion, Status = 200, Outcome = LedgerOutcome.Ok, Estimated = price is null,
            Savings = new SavingsBreakdown { Batch = standard - cost.Total }, Levers = SavingsLevers.Batch,
        };
    }

    private static LedgerEntry Unpriced(StoredBatch batch, string customId, int status, string code, DateTimeOffset endedAt, string? requestId) =>
        Row(batch, customId, endedAt, requestId) with
        {
            Provider = batch.Provider, Status = status, Outcome = LedgerOutcome.ProviderError, ErrorCode = code, Levers = SavingsLevers.Batch,
        };

    private static LedgerEntry Row(StoredBatch batch, string customId, DateTimeOffset endedAt, string? requestId) => new()
    {
        Id = RowId(batch.Id, customId),
        StartedAt = batch.CreatedAt,
        EndedAt = endedAt,
        Route = batch.Protocol == BatchProtocols.Anthropic ? "anthropic.batch" : "openai.batch",
        KeyId = batch.KeyId, Person = batch.Person, Team = batch.Team, Project = batch.Project, Feature = batch.Feature, Tags = batch.Tags,
        Outcome = LedgerOutcome.Ok,
        ProviderRequestId = requestId,
        LatencyMs = Math.Max(0, (endedAt - batch.CreatedAt).TotalMilliseconds),
        BatchId = batch.Id,
    };

    private static long Long(JsonElement obj, string name) =>
        obj.ValueKind == JsonValueKind.Object && obj.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var n) ? n : 0;

    /// <summary>Chat usage: prompt_tokens includes cached_tokens; completion_tokens includes reasoning_tokens.</summary>
    private static TokenUsage OpenAIUsage(JsonElement u)
    {
        var cached = u.TryGetProperty("prompt_tokens_details", out var pd) ? Long(pd, "cached_tokens") : 0;
        var reasoning = u.TryGetProperty("completion_tokens_details", out var cd) ? Long(cd, "reasoning_tokens") : 0;
        return new TokenUsage
        {
            UncachedInput = Long(u, "prompt_tokens") - cached, CacheRead = cached, Output = Long(u, "completion_tokens"), Reasoning = reasoning,
            Tier = ServiceTier.Batch,
        };
    }

    /// <summary>Messages usage: disjoint input buckets; cache writes split by TTL when cache_creation is given.</summary>
    private static TokenUsage AnthropicUsage(JsonElement u)
    {
        var writes = Long(u, "cache_creation_input_tokens");
        long oneHour = 0;
        if (u.TryGetProperty("cache_creation", out var cc) && cc.ValueKind == JsonValueKind.Object)
        {
            oneHour = Long(cc, "ephemeral_1h_input_tokens");
            writes = Long(cc, "ephemeral_5m_input_tokens") + oneHour;
        }
        return new TokenUsage
        {
            UncachedInput = Long(u, "input_tokens"), CacheRead = Long(u, "cache_read_input_tokens"), CacheWrite5m = writes - oneHour,
            CacheWrite1h = oneHour, Output = Long(u, "output_tokens"), Tier = ServiceTier.Batch,
        };
    }
}

public static class BatchProtocols
{
    public const string OpenAI = "openai";
    public const string Anthropic = "anthropic";
    /// <summary>A background Responses API response: a batch of one (<see cref="Responses.BackgroundResponses"/>).</summary>
    public const string BackgroundResponse = "openai.responses";
}
