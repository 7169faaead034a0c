using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;
using TokenOps.Simulator.Infrastructure;
using TokenOps.Simulator.Protocols.Anthropic;

namespace TokenOps.Simulator.Protocols.Batches;

/// <summary>
/// Anthropic Message Batches: <c>POST /v1/messages/batches</c> (<c>requests</c>: custom_id + params, checked at once: a bad
/// request is a 400 naming its index), <c>GET /v1/messages/batches/{id}</c>, <c>GET …/{id}/results</c> (.jsonl, once ended),
/// <c>POST …/{id}/cancel</c>.
/// </summary>
internal sealed partial class AnthropicBatchEndpoints(SimBatches batches)
{
    public const int MaxRequests = 100_000;

    [GeneratedRegex("^[a-zA-Z0-9_-]{1,64}$")]
    private static partial Regex CustomIdPattern();

    public async Task CreateAsync(HttpContext context)
    {
        if (!await AnthropicRequest.AuthenticateAsync(context, batches.Host)) return;
        using var body = await RequestBody.ReadAsync(context.Request, context.RequestAborted);
        using var document = await AnthropicRequest.ParseAsync(context, body);
        if (document is null) return;
        if (document.RootElement.Prop("requests"u8) is not { ValueKind: JsonValueKind.Array } requests || requests.GetArrayLength() == 0)
        {
            await ProtocolErrors.AnthropicAsync(context, 400, "requests: Field required (a non-empty list)");
            return;
        }
        if (requests.GetArrayLength() > MaxRequests)
        {
            await ProtocolErrors.AnthropicAsync(context, 400, $"requests: at most {MaxRequests} requests per batch");
            return;
        }
        var lines = new List<SimBatchLine>();
        var ids = new HashSet<string>(StringComparer.Ordinal);
        var index = 0;
        foreach (var request in requests.EnumerateArray())
        {
            var problem = Check(request, ids);
            if (problem is not null)
            {
                await ProtocolErrors.AnthropicAsync(context, 400, $"requests.{index}.{problem}");
                return;
            }
            lines.Add(new SimBatchLine(request.StringProp("custom_id"u8)!, request.GetProperty("params").Clone()));
            index++;
        }
        var now = batches.Now;
        var options = batches.Host.Options;
        var batch = new SimBatch(batches.Host.NewId("msgbatch_"), anthropic: true, lines, now, now + options.BatchProcessingTime, now + options.BatchExpiry);
        batches.Add(batch);
        await OpenAIBatchEndpoints.JsonAsync(context, json => BatchLineWriter.AnthropicBatch(json, batch, BaseUrl(context)));
    }

    public async Task GetAsync(HttpContext context)
    {
        if (!await AnthropicRequest.AuthenticateAsync(context, batches.Host)) return;
        if (await BatchAsync(context) is { } batch) await OpenAIBatchEndpoints.JsonAsync(context, json => BatchLineWriter.AnthropicBatch(json, batch, BaseUrl(context)));
    }

    public async Task ResultsAsync(HttpContext context)
    {
        if (!await AnthropicRequest.AuthenticateAsync(context, batches.Host)) return;
        if (await BatchAsync(context) is not { } batch) return;
        if (batch.Results is not { } results)
        {
            await ProtocolErrors.AnthropicAsync(context, 404, $"Results for message batch {batch.Id} are not available yet: it is still {(batch.Phase == SimBatchPhase.Cancelling ? "canceling" : "in_progress")}.");
            return;
        }
        context.Response.ContentType = "application/x-jsonl";
        await context.Response.WriteBodyAsync(results, context.RequestAborted);
    }

    public async Task CancelAsync(HttpContext context)
    {
        if (!await AnthropicRequest.AuthenticateAsync(context, batches.Host)) return;
        if (await BatchAsync(context) is not { } batch) return;
        batches.Cancel(batch); // cancelling an ended batch changes nothing and answers the batch, as the API does
        await OpenAIBatchEndpoints.JsonAsync(context, json => BatchLineWriter.AnthropicBatch(json, batch, BaseUrl(context)));
    }

    /// <summary>The problem with one request (a path under it and a message), or null.</summary>
    private static string? Check(JsonElement request, HashSet<string> ids)
    {
        if (request.ValueKind != JsonValueKind.Object) return "custom_id: Field required";
        var customId = request.StringProp("custom_id"u8);
        if (customId is null) return "custom_id: Field required";
        if (!CustomIdPattern().IsMatch(customId)) return "custom_id: String should match pattern '^[a-zA-Z0-9_-]{1,64}$'";
        if (!ids.Add(customId)) return $"custom_id: Duplicate custom_id '{customId}' (each must be unique within the batch)";
        if (request.Prop("params"u8) is not { ValueKind: JsonValueKind.Object } p) return "params: Field required";
        if (p.StringProp("model"u8) is null) return "params.model: Field required";
        if (p.Prop("max_tokens"u8) is not { ValueKind: JsonValueKind.Number } max || !max.TryGetInt64(out var n) || n < 1)
            return "params.max_tokens: Field required (an integer of at least 1)";
        if (p.Prop("messages"u8) is not { ValueKind: JsonValueKind.Array }) return "params.messages: Field required";
        if (p.TrueProp("stream"u8)) return "params.stream: streaming is not supported in a batch";
        return null;
    }

    private async Task<SimBatch?> BatchAsync(HttpContext context)
    {
        var id = context.Request.RouteValues["id"]?.ToString() ?? "";
        if (batches.Get(id, anthropic: true) is { } batch) return batch;
        await ProtocolErrors.AnthropicAsync(context, 404, $"No message batch found with id '{id}'.");
        return null;
    }

    private static string BaseUrl(HttpContext context) => $"{context.Request.Scheme}://{context.Request.Host}";
}
