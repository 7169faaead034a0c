using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using TokenOps.Simulator.Infrastructure;
using TokenOps.Simulator.Protocols.OpenAI;

namespace TokenOps.Simulator.Protocols.Batches;

/// <summary>
/// OpenAI Files (<c>POST /v1/files</c> multipart with purpose <c>batch</c>, <c>GET /v1/files/{id}</c>,
/// <c>GET /v1/files/{id}/content</c>) and Batches (<c>POST /v1/batches</c>, <c>GET /v1/batches/{id}</c>,
/// <c>GET /v1/batches</c> with <c>after</c>/<c>limit</c>, <c>POST /v1/batches/{id}/cancel</c>). As at OpenAI, an input file
/// that does not validate gives a batch with status <c>failed</c> and <c>errors.data</c> naming the line, not a 400.
/// </summary>
internal sealed class OpenAIBatchEndpoints(SimBatches batches)
{
    public static readonly string[] Endpoints = ["/v1/chat/completions", "/v1/responses", "/v1/embeddings", "/v1/completions"];

    private SimulatorOptions Options => batches.Host.Options;

    public async Task UploadAsync(HttpContext context)
    {
        if (!await OpenAIRequest.AuthenticateAsync(context, Options)) return;
        if (!context.Request.HasFormContentType)
        {
            await ProtocolErrors.OpenAIAsync(context, 400, "Invalid request: expected a multipart/form-data body with 'file' and 'purpose'.");
            return;
        }
        var form = await context.Request.ReadFormAsync(context.RequestAborted);
        var purpose = form["purpose"].ToString();
        if (purpose.Length == 0)
        {
            await ProtocolErrors.OpenAIAsync(context, 400, "Missing required parameter: 'purpose'.", param: "purpose", code: "missing_required_parameter");
            return;
        }
        if (purpose != "batch")
        {
            await ProtocolErrors.OpenAIAsync(context, 400, $"Invalid value for 'purpose': '{purpose}'. The simulator accepts 'batch' only.", param: "purpose", code: "invalid_value");
            return;
        }
        if (form.Files.GetFile("file") is not { } upload)
        {
            await ProtocolErrors.OpenAIAsync(context, 400, "Missing required parameter: 'file'.", param: "file", code: "missing_required_parameter");
            return;
        }
        using var content = new MemoryStream();
        await upload.CopyToAsync(content, context.RequestAborted);
        var file = batches.AddFile(upload.FileName, purpose, content.ToArray());
        await JsonAsync(context, json => WriteFile(json, file));
    }

    public async Task GetFileAsync(HttpContext context)
    {
        if (!await OpenAIRequest.AuthenticateAsync(context, Options)) return;
        if (await FileAsync(context) is { } file) await JsonAsync(context, json => WriteFile(json, file));
    }

    public async Task GetFileContentAsync(HttpContext context)
    {
        if (!await OpenAIRequest.AuthenticateAsync(context, Options)) return;
        if (await FileAsync(context) is not { } file) return;
        context.Response.ContentType = "application/octet-stream";
        await context.Response.WriteBodyAsync(file.Content, context.RequestAborted);
    }

    public async Task CreateAsync(HttpContext context)
    {
        context.Response.Headers["x-request-id"] = batches.Host.NewId("req_");
        if (!await OpenAIRequest.AuthenticateAsync(context, Options)) return;
        using var body = await RequestBody.ReadAsync(context.Request, context.RequestAborted);
        using var document = await OpenAIRequest.ParseAsync(context, body);
        if (document is null) return;
        var root = document.RootElement;
        var inputFileId = root.StringProp("input_file_id"u8);
        var endpoint = root.StringProp("endpoint"u8);
        var window = root.StringProp("completion_window"u8);
        foreach (var (name, value) in new[] { ("input_file_id", inputFileId), ("endpoint", endpoint), ("completion_window", window) })
        {
            if (value is null)
            {
                await ProtocolErrors.OpenAIAsync(context, 400, $"Missing required parameter: '{name}'.", param: name, code: "missing_required_parameter");
                return;
            }
        }
        if (!Endpoints.Contains(endpoint, StringComparer.Ordinal))
        {
            await ProtocolErrors.OpenAIAsync(context, 400,
                $"Invalid value: '{endpoint}'. Supported values are: {string.Join(", ", Endpoints.Select(e => $"'{e}'"))}.", param: "endpoint", code: "invalid_value");
            return;
        }
        if (window != "24h")
        {
            await ProtocolErrors.OpenAIAsync(context, 400, $"Invalid value: '{window}'. Supported values are: '24h'.", param: "completion_window", code: "invalid_value");
            return;
        }
        if (batches.File(inputFileId!) is not { } input)
        {
            await ProtocolErrors.OpenAIAsync(context, 404, $"No such File object: {inputFileId}", param: "input_file_id");
            return;
        }
        var metadata = root.Prop("metadata"u8) is { ValueKind: JsonValueKind.Object } m ? m.GetRawText() : null;
        var (lines, errors) = Parse(input.Content, endpoint!);
        var now = batches.Now;
        var batch = new SimBatch(batches.Host.NewId("batch_"), anthropic: false, lines, now, now + Options.BatchProcessingTime, now + Options.BatchExpiry)
        {
            Endpoint = endpoint!, InputFileId = input.Id, CompletionWindow = window!, Metadata = metadata, Errors = errors,
        };
        if (errors.Count > 0)
        {
            batch.Phase = SimBatchPhase.Failed;
            batch.EndedAt = now;
        }
        batches.Add(batch);
        await JsonAsync(context, json => BatchLineWriter.OpenAIBatch(json, batch));
    }

    public async Task GetAsync(HttpContext context)
    {
        if (!await OpenAIRequest.AuthenticateAsync(context, Options)) return;
        if (await BatchAsync(context) is { } batch) await JsonAsync(context, json => BatchLineWriter.OpenAIBatch(json, batch));
    }

    public async Task CancelAsync(HttpContext context)
    {
        if (!await OpenAIRequest.AuthenticateAsync(context, Options)) return;
        if (await BatchAsync(context) is not { } batch) return;
        if (!batches.Cancel(batch))
        {
            await ProtocolErrors.OpenAIAsync(context, 400, $"Cannot cancel a batch with status '{BatchStatus(batch)}'.");
            return;
        }
        await JsonAsync(context, json => BatchLineWriter.OpenAIBatch(json, batch));
    }

    /// <summary><c>GET /v1/batches?after=&amp;limit=</c>: newest first, <c>limit</c> 1..100 (default 20), <c>has_more</c>.</summary>
    public async Task ListAsync(HttpContext context)
    {
        if (!await OpenAIRequest.AuthenticateAsync(context, Options)) return;
        var query = context.Request.Query;
        var limit = 20;
        if (query["limit"].ToString() is { Length: > 0 } raw
            && (!int.TryParse(raw, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > 100))
        {
            await ProtocolErrors.OpenAIAsync(context, 400, $"Invalid 'limit': '{raw}'. Expected an integer between 1 and 100.", param: "limit", code: "invalid_value");
            return;
        }
        var all = batches.List(anthropic: false);
        var start = 0;
        if (query["after"].ToString() is { Length: > 0 } after)
        {
            var at = all.FindIndex(b => b.Id == after);
            start = at < 0 ? all.Count : at + 1;
        }
        var page = all.Skip(start).Take(limit).ToList();
        await JsonAsync(context, json =>
        {
            json.WriteStartObject();
            json.WriteString("object"u8, "list"u8);
            json.WriteStartArray("data"u8);
            foreach (var b in page) BatchLineWriter.OpenAIBatch(json, b);
            json.WriteEndArray();
            if (page.Count > 0) json.WriteString("first_id"u8, page[0].Id); else json.WriteNull("first_id"u8);
            if (page.Count > 0) json.WriteString("last_id"u8, page[^1].Id); else json.WriteNull("last_id"u8);
            json.WriteBoolean("has_more"u8, start + page.Count < all.Count);
            json.WriteEndObject();
        });
    }

    /// <summary>Reads every line of an input file; problems become the batch's <c>errors</c> (1-based line numbers).</summary>
    internal static (List<SimBatchLine> Lines, List<SimBatchError> Errors) Parse(byte[] content, string endpoint)
    {
        var lines = new List<SimBatchLine>();
        var errors = new List<SimBatchError>();
        var ids = new HashSet<string>(StringComparer.Ordinal);
        var number = 0;
        foreach (var raw in Encoding.UTF8.GetString(content).Split('\n'))
        {
            number++;
            var text = raw.TrimEnd('\r');
            if (text.Trim().Length == 0) continue;
            JsonElement root;
            try
            {
                using var doc = JsonDocument.Parse(text);
                root = doc.RootElement.Clone();
            }
            catch (JsonException)
            {
                errors.Add(new SimBatchError("invalid_json_line", "This line is not parseable as valid JSON.", number));
                continue;
            }
            if (root.ValueKind != JsonValueKind.Object || root.StringProp("custom_id"u8) is not { Length: > 0 } customId)
            {
                errors.Add(new SimBatchError("missing_required_parameter", "Missing required parameter: 'custom_id'.", number));
                continue;
            }
            if (!ids.Add(customId))
                errors.Add(new SimBatchError("duplicate_custom_id", "The custom_id for this request is a duplicate of another request. The custom_id parameter must be unique for each request in a batch.", number));
            if (root.StringProp("method"u8) != "POST")
                errors.Add(new SimBatchError("invalid_method", "The method for this request must be 'POST'.", number));
            if (root.StringProp("url"u8) != endpoint)
                errors.Add(new SimBatchError("mismatched_endpoint", $"The provided url for this request does not match the batch endpoint '{endpoint}'.", number));
            if (root.Prop("body"u8) is not { ValueKind: JsonValueKind.Object } body || body.StringProp("model"u8) is null)
            {
                errors.Add(new SimBatchError("missing_required_parameter", "Missing required parameter: 'body.model'.", number));
                continue;
            }
            lines.Add(new SimBatchLine(customId, body));
        }
        if (lines.Count == 0 && errors.Count == 0) errors.Add(new SimBatchError("empty_file", "The batch input file is empty.", null));
        return (lines, errors);
    }

    private async Task<SimFile?> FileAsync(HttpContext context)
    {
        var id = context.Request.RouteValues["id"]?.ToString() ?? "";
        if (batches.File(id) is { } file) return file;
        await ProtocolErrors.OpenAIAsync(context, 404, $"No such File object: {id}", param: "id");
        return null;
    }

    private async Task<SimBatch?> BatchAsync(HttpContext context)
    {
        var id = context.Request.RouteValues["id"]?.ToString() ?? "";
        if (batches.Get(id, anthropic: false) is { } batch) return batch;
        await ProtocolErrors.OpenAIAsync(context, 404, $"No batch found with id '{id}'.", param: "batch_id");
        return null;
    }

    private static string BatchStatus(SimBatch batch)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer)) BatchLineWriter.OpenAIBatch(json, batch);
        using var doc = JsonDocument.Parse(buffer.ToArray());
        return doc.RootElement.GetProperty("status").GetString()!;
    }

    private static void WriteFile(Utf8JsonWriter json, SimFile file)
    {
        json.WriteStartObject();
        json.WriteString("object"u8, "file"u8);
        json.WriteString("id"u8, file.Id);
        json.WriteString("purpose"u8, file.Purpose);
        json.WriteString("filename"u8, file.Filename);
        json.WriteNumber("bytes"u8, file.Content.Length);
        json.WriteNumber("created_at"u8, file.CreatedAt.ToUnixTimeSeconds());
        json.WriteNull("expires_at"u8);
        json.WriteString("status"u8, "processed"u8);
        json.WriteNull("status_details"u8);
        json.WriteEndObject();
    }

    internal static async Task JsonAsync(HttpContext context, Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer, JsonSettings.WriterOptions)) write(json);
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "application/json";
        await context.Response.WriteBodyAsync(buffer.WrittenMemory, context.RequestAborted);
    }
}
