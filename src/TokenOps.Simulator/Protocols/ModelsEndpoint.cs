using System.Text.Json;
using Microsoft.AspNetCore.Http;
using TokenOps.Simulator.Infrastructure;
using TokenOps.Simulator.Protocols.Anthropic;
using TokenOps.Simulator.Protocols.OpenAI;

namespace TokenOps.Simulator.Protocols;

/// <summary>
/// <c>GET /v1/models</c>: OpenAI list shape, or Anthropic's (<c>data</c>, <c>has_more</c>, <c>first_id</c>,
/// <c>last_id</c>) when the request carries <c>anthropic-version</c>.
/// </summary>
internal sealed class ModelsEndpoint(SimHost host)
{
    private static readonly DateTimeOffset Created = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public async Task HandleAsync(HttpContext context)
    {
        var anthropic = context.Request.Headers.ContainsKey("anthropic-version");
        if (anthropic)
        {
            if (!await AnthropicRequest.AuthenticateAsync(context, host))
            {
                return;
            }
        }
        else
        {
            context.Response.Headers["x-request-id"] = host.NewId("req_");
            if (!await OpenAIRequest.AuthenticateAsync(context, host.Options))
            {
                return;
            }
        }

        var models = host.Options.Models;
        using var buffer = new PooledBufferWriter(256 + models.Count * 128);
        using (var json = new Utf8JsonWriter(buffer, JsonSettings.WriterOptions))
        {
            json.WriteStartObject();
            if (!anthropic)
            {
                json.WriteString("object"u8, "list"u8);
            }

            json.WriteStartArray("data"u8);
            foreach (var model in models)
            {
                json.WriteStartObject();
                if (anthropic)
                {
                    json.WriteString("type"u8, "model"u8);
                    json.WriteString("id"u8, model);
                    json.WriteString("display_name"u8, model);
                    json.WriteString("created_at"u8, "2025-01-01T00:00:00Z"u8);
                }
                else
                {
                    json.WriteString("id"u8, model);
                    json.WriteString("object"u8, "model"u8);
                    json.WriteNumber("created"u8, Created.ToUnixTimeSeconds());
                    json.WriteString("owned_by"u8, model.StartsWith("claude", StringComparison.Ordinal) ? "anthropic" : "openai");
                }

                json.WriteEndObject();
            }

            json.WriteEndArray();
            if (anthropic)
            {
                json.WriteBoolean("has_more"u8, false);
                WriteIdOrNull(json, "first_id"u8, models.Count > 0 ? models[0] : null);
                WriteIdOrNull(json, "last_id"u8, models.Count > 0 ? models[^1] : null);
            }

            json.WriteEndObject();
        }

        context.Response.ContentType = "application/json";
        await context.Response.WriteBodyAsync(buffer.WrittenMemory, context.RequestAborted);
    }

    private static void WriteIdOrNull(Utf8JsonWriter json, ReadOnlySpan<byte> name, string? id)
    {
        if (id is null)
        {
            json.WriteNull(name);
        }
        else
        {
            json.WriteString(name, id);
        }
    }
}

/// <summary><c>GET /_sim/bill</c> (JSON array of entries) and <c>DELETE /_sim/bill</c> (reset, 204).</summary>
internal static class BillEndpoint
{
    public static async Task GetAsync(HttpContext context, SimulatorBill bill)
    {
        var entries = bill.Entries;
        using var buffer = new PooledBufferWriter(64 + entries.Count * 320);
        using (var json = new Utf8JsonWriter(buffer, JsonSettings.WriterOptions))
        {
            json.WriteStartArray();
            foreach (var entry in entries)
            {
                json.WriteStartObject();
                json.WriteString("id"u8, entry.Id);
                json.WriteString("protocol"u8, entry.Protocol);
                json.WriteString("model"u8, entry.Model);
                json.WriteBoolean("streamed"u8, entry.Streamed);
                json.WriteBoolean("completed"u8, entry.Completed);
                if (entry.Fault is null)
                {
                    json.WriteNull("fault"u8);
                }
                else
                {
                    json.WriteString("fault"u8, entry.Fault);
                }

                json.WriteString("timestamp"u8, entry.Timestamp);
                var usage = entry.Usage;
                json.WriteStartObject("usage"u8);
                json.WriteNumber("uncachedInput"u8, usage.UncachedInput);
                json.WriteNumber("cacheRead"u8, usage.CacheRead);
                json.WriteNumber("cacheWrite5m"u8, usage.CacheWrite5m);
                json.WriteNumber("cacheWrite1h"u8, usage.CacheWrite1h);
                json.WriteNumber("output"u8, usage.Output);
                json.WriteNumber("reasoning"u8, usage.Reasoning);
                // Billed per call, beside the tokens: a reader pricing this bill needs them to match the invoice.
                json.WriteNumber("webSearchCalls"u8, usage.WebSearchCalls);
                json.WriteNumber("webFetchCalls"u8, usage.WebFetchCalls);
                json.WriteString("tier"u8, usage.Tier switch
                {
                    Core.Metering.ServiceTier.Batch => "batch",
                    Core.Metering.ServiceTier.Flex => "flex",
                    Core.Metering.ServiceTier.Priority => "priority",
                    _ => "standard",
                });
                json.WriteEndObject();
                json.WriteEndObject();
            }

            json.WriteEndArray();
        }

        context.Response.ContentType = "application/json";
        await context.Response.WriteBodyAsync(buffer.WrittenMemory, context.RequestAborted);
    }

    public static Task DeleteAsync(HttpContext context, SimulatorBill bill)
    {
        bill.Reset();
        context.Response.StatusCode = StatusCodes.Status204NoContent;
        return Task.CompletedTask;
    }
}
