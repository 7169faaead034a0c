using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using TokenOps.Core.Identity;
using TokenOps.Core.Ledger;
using TokenOps.Core.Pricing;
using TokenOps.Gateway.Budgets;
using TokenOps.Gateway.Metering;
using TokenOps.Gateway.Pipeline;
using TokenOps.Gateway.Protocols;
using TokenOps.Storage;

namespace TokenOps.Gateway.Batches;

/// <summary>
/// The batch lane's endpoints: OpenAI Files and Batch, Anthropic Message Batches. Every call is authenticated by virtual
/// key before its body is read, reads a bounded body (<c>batches.maxBodyBytes</c>), and leaves one $0 ledger row like
/// <c>GET /v1/models</c>; the lines' own rows come at settlement (<see cref="BatchSettler"/>). A batch or file of another
/// owner is answered exactly as an unknown id (404 in the protocol's format), so ids cannot be probed.
/// </summary>
public sealed class BatchEndpoints(AuthenticateStage authenticate, AttributeStage attribute, SettleStage settle, ModelRouterHolder router,
    BudgetEngine budgets, IBatchStore store, BatchUpstream upstream, BatchSettler settler, Configuration.GatewayOptions options, TimeProvider time)
{
    public const string FilesRoute = "openai.files";
    public const string BatchesRoute = "openai.batches";
    public const string MessageBatchesRoute = "anthropic.message_batches";

    public static void Map(WebApplication app)
    {
        var e = app.Services.GetRequiredService<BatchEndpoints>();
        void Route(string method, string path, string name, Dialect dialect, Func<ProxyContext, string?, Task> handler) =>
            app.MapMethods(path, [method], (HttpContext http) => e.RunAsync(http, name, dialect, handler))
                .WithMetadata(new MeteredRouteAttribute(name));
        Route("POST", "/v1/files", FilesRoute, Dialect.OpenAI, (c, _) => e.UploadAsync(c));
        Route("GET", "/v1/files/{id}", FilesRoute, Dialect.OpenAI, (c, id) => e.FileAsync(c, id!, content: false));
        Route("GET", "/v1/files/{id}/content", FilesRoute, Dialect.OpenAI, (c, id) => e.FileAsync(c, id!, content: true));
        Route("POST", "/v1/batches", BatchesRoute, Dialect.OpenAI, (c, _) => e.CreateOpenAIAsync(c));
        Route("GET", "/v1/batches", BatchesRoute, Dialect.OpenAI, (c, _) => e.ListOpenAIAsync(c));
        Route("GET", "/v1/batches/{id}", BatchesRoute, Dialect.OpenAI, (c, id) => e.BatchAsync(c, id!, cancel: false));
        Route("POST", "/v1/batches/{id}/cancel", BatchesRoute, Dialect.OpenAI, (c, id) => e.BatchAsync(c, id!, cancel: true));
        Route("POST", "/v1/messages/batches", MessageBatchesRoute, Dialect.Anthropic, (c, _) => e.CreateAnthropicAsync(c));
        Route("GET", "/v1/messages/batches/{id}", MessageBatchesRoute, Dialect.Anthropic, (c, id) => e.BatchAsync(c, id!, cancel: false));
        Route("POST", "/v1/messages/batches/{id}/cancel", MessageBatchesRoute, Dialect.Anthropic, (c, id) => e.BatchAsync(c, id!, cancel: true));
        Route("GET", "/v1/messages/batches/{id}/results", MessageBatchesRoute, Dialect.Anthropic, (c, id) => e.ResultsAsync(c, id!));
    }

    /// <summary>Authenticate, attribute, run, and leave one $0 row for the call whatever happens.</summary>
    private async Task RunAsync(HttpContext http, string name, Dialect dialect, Func<ProxyContext, string?, Task> handler)
    {
        var route = new BatchRoute(name, dialect, http.Request.Path);
        var context = new ProxyContext(http, route, EventIds.New(time.GetUtcNow()), time.GetUtcNow());
        try
        {
            authenticate.Run(context);
            attribute.Run(context);
            http.Response.Headers["X-TokenOps-Request-Id"] = context.EventId;
            await handler(context, http.Request.RouteValues["id"]?.ToString());
        }
        catch (GatewayException ex)
        {
            context.Fail(ex.Status, ex.Outcome, ex.Code);
            if (!http.Response.HasStarted)
            {
                http.Response.StatusCode = ex.Status;
                http.Response.ContentType = "application/json";
                await http.Response.Body.WriteAsync(ErrorBodies.Write(dialect, ex.Status, ex.Code, ex.Message, ex.Param, ex.Budget), http.RequestAborted);
            }
        }
        finally
        {
            settle.Settle(context);
        }
    }

    private async Task UploadAsync(ProxyContext context)
    {
        var http = context.Http;
        var body = await ReadBoundedAsync(context);
        var contentType = http.Request.ContentType ?? "";
        if (!contentType.StartsWith("multipart/form-data", StringComparison.OrdinalIgnoreCase))
            throw GatewayException.BadRequest("invalid_content_type", "Upload a file as multipart/form-data with fields 'file' and 'purpose'.");
        http.Request.Body = new MemoryStream(body);
        var form = await http.Request.ReadFormAsync(http.RequestAborted);
        var purpose = form["purpose"].ToString();
        if (purpose != "batch")
            throw GatewayException.BadRequest("invalid_purpose", $"The gateway takes files with purpose 'batch' only (got '{purpose}').", "purpose");
        var file = form.Files.GetFile("file") ?? throw GatewayException.BadRequest("missing_file", "Missing required parameter: 'file'.", "file");
        using var buffer = new MemoryStream();
        await file.CopyToAsync(buffer, http.RequestAborted);
        var content = buffer.ToArray();
        var input = BatchInputReader.ReadOpenAI(content, router.Current, budgets.Options.DefaultMaxOutputTokens, options.Batches.MaxLines, Allowed(context));
        var upload = new MultipartFormDataContent { { new StringContent("batch"), "purpose" } };
        var part = new ByteArrayContent(content);
        part.Headers.ContentType = new MediaTypeHeaderValue("application/jsonl");
        upload.Add(part, "file", file.FileName);
        var answer = await upstream.SendAsync(input.Provider, HttpMethod.Post, "/v1/files", upload, http.RequestAborted);
        if (answer.Ok)
        {
            var id = Id(answer.Body);
            store.AddFile(new StoredBatchFile(id, input.Provider.Name, Owner(context.Key!), context.Key!.Id, "batch", file.FileName, content.Length,
                input.Endpoint, input.Lines, input.WorstNanos, null, time.GetUtcNow()));
        }
        await RelayAsync(context, answer);
    }

    private async Task FileAsync(ProxyContext context, string id, bool content)
    {
        var file = store.FindFile(id);
        if (file is null || file.Owner != Owner(context.Key!)) throw new GatewayException(404, "file_not_found", $"No such File object: {id}", "id");
        var provider = Provider(file.Provider);
        var answer = await upstream.SendAsync(provider, HttpMethod.Get, content ? $"/v1/files/{id}/content" : $"/v1/files/{id}", null, context.Http.RequestAborted);
        // Reading a batch's results settles the batch (if no poll has yet).
        if (content && answer.Ok && file.BatchId is { } batchId) await settler.TrySettleAsync(batchId, context.Http.RequestAborted);
        await RelayAsync(context, answer);
    }

    private async Task CreateOpenAIAsync(ProxyContext context)
    {
        var body = await ReadBoundedAsync(context);
        using var doc = ParseObject(body);
        var root = doc.RootElement;
        var fileId = root.TryGetProperty("input_file_id", out var f) && f.ValueKind == JsonValueKind.String ? Protocols.JsonText.SafeString(f) : null;
        if (fileId is null) throw GatewayException.BadRequest("missing_required_parameter", "Missing required parameter: 'input_file_id'.", "input_file_id");
        var endpoint = root.TryGetProperty("endpoint", out var ep) && ep.ValueKind == JsonValueKind.String ? Protocols.JsonText.SafeString(ep) : null;
        var file = store.FindFile(fileId);
        if (file is null || file.Owner != Owner(context.Key!) || file.Purpose != "batch")
            throw new GatewayException(404, "file_not_found", $"No such File object: {fileId}", "input_file_id");
        if (endpoint != file.Endpoint)
            throw GatewayException.BadRequest("mismatched_endpoint", $"'endpoint' must be '{file.Endpoint}', the url of the file's lines.", "endpoint");
        var tags = Tags(context.Attribution.Tags, root.TryGetProperty("metadata", out var m) ? m : default);
        await CreateAsync(context, Provider(file.Provider), body, "/v1/batches", BatchProtocols.OpenAI, "batch_tok", file.LineCount, file.WorstNanos, tags, fileId, endpoint);
    }

    private async Task CreateAnthropicAsync(ProxyContext context)
    {
        var body = await ReadBoundedAsync(context);
        using var doc = ParseObject(body);
        var input = BatchInputReader.ReadAnthropic(doc.RootElement, router.Current, budgets.Options.DefaultMaxOutputTokens, options.Batches.MaxLines, Allowed(context));
        await CreateAsync(context, input.Provider, body, "/v1/messages/batches", BatchProtocols.Anthropic, "msgbatch_tok", input.Lines, input.WorstNanos,
            context.Attribution.Tags, null, null);
    }

    /// <summary>Reserves the batch's worst case (refused whole with 402), forwards it, records it; the hold is freed if the provider refuses.</summary>
    private async Task CreateAsync(ProxyContext context, Providers.ProviderEndpoint provider, byte[] body, string path, string protocol, string idPrefix,
        int lines, long worst, string? tags, string? inputFileId, string? endpoint)
    {
        var key = context.Key!;
        var id = idPrefix + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));
        var hold = await ReserveAsync(context, worst, id);
        UpstreamAnswer answer;
        try
        {
            answer = await upstream.SendAsync(provider, HttpMethod.Post, path, UpstreamBatch(body), context.Http.RequestAborted);
        }
        catch
        {
            budgets.Book.Settle(hold, 0);
            throw;
        }
        if (!answer.Ok)
        {
            budgets.Book.Settle(hold, 0);
            await RelayAsync(context, answer);
            return;
        }
        var batch = new StoredBatch(id, Id(answer.Body), protocol, provider.Name, Owner(key), key.Id, key.Person, key.Team, context.Attribution.Project,
            context.Attribution.Feature, tags, endpoint, inputFileId, protocol == BatchProtocols.Anthropic ? "in_progress" : "validating", hold is null ? 0 : worst, lines,
            context.StartedAt) { HoldId = hold?.Shared?.Id };
        store.Add(batch);
        if (hold is not null) settler.Holds[id] = hold;
        settler.Record(batch, answer.Body);
        await RelayAsync(context, answer with { Body = Rewrite(answer.Body, batch, context.Http) });
    }

    private async Task<Core.Budgets.BudgetReservation?> ReserveAsync(ProxyContext context, long worst, string batchId)
    {
        var policies = budgets.Policies;
        var key = context.Key!;
        if (policies.IsEmpty) return null;
        var applicable = policies.Applicable(key.Person, key.Team, context.Attribution.Project);
        if (applicable.Count == 0) return null;
        var now = context.StartedAt;
        var counters = budgets.Book.CountersFor(applicable, now);
        // Held for the batch's whole window (24 h) plus a margin; the settler frees it with the actual cost.
        var result = await budgets.Book.TryReserveAsync(counters, worst, now, TimeSpan.FromHours(25), null, batchId);
        if (result.Reservation is { } reservation) return reservation;
        var s = result.RefusedBy!;
        throw new GatewayException(402, "budget_exceeded", string.Create(CultureInfo.InvariantCulture,
            $"Budget '{s.BudgetId}' cannot cover this batch: {s.Spent:0.00####} of {s.Limit:0.00} USD spent, {s.Reserved:0.00####} USD held by requests in flight, " +
            $"and this batch may cost up to {NanoUsd.ToUsd(worst):0.00####} USD at batch prices. Nothing was submitted. Split the batch, lower max_tokens or ask for more budget."))
        { Budget = BudgetRefusal.From(s) };
    }

    private async Task BatchAsync(ProxyContext context, string id, bool cancel)
    {
        var batch = Owned(context, id);
        var provider = Provider(batch.Provider);
        var path = BatchSettler.StatusPath(batch);
        var answer = await upstream.SendAsync(provider, cancel ? HttpMethod.Post : HttpMethod.Get, cancel ? path + "/cancel" : path,
            cancel ? UpstreamBatch([]) : null, context.Http.RequestAborted);
        if (answer.Ok)
        {
            settler.Record(batch, answer.Body);
            await settler.TrySettleAsync(batch.Id, context.Http.RequestAborted);
            answer = answer with { Body = Rewrite(answer.Body, batch, context.Http) };
        }
        await RelayAsync(context, answer);
    }

    private async Task ResultsAsync(ProxyContext context, string id)
    {
        var batch = Owned(context, id);
        var answer = await upstream.SendAsync(Provider(batch.Provider), HttpMethod.Get, $"/v1/messages/batches/{batch.ProviderBatchId}/results", null, context.Http.RequestAborted);
        if (answer.Ok)
        {
            if (!BatchSettler.IsEnded(batch)) store.UpdateStatus(batch.Id, "ended", null, null, null);
            await settler.TrySettleAsync(batch.Id, context.Http.RequestAborted);
        }
        await RelayAsync(context, answer);
    }

    /// <summary><c>GET /v1/batches</c>: the caller's own batches, newest first, each as the provider describes it now.</summary>
    private async Task ListOpenAIAsync(ProxyContext context)
    {
        var query = context.Http.Request.Query;
        var limit = 20;
        if (query["limit"].ToString() is { Length: > 0 } raw && (!int.TryParse(raw, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > 100))
            throw GatewayException.BadRequest("invalid_value", $"Invalid 'limit': '{raw}'. Expected an integer between 1 and 100.", "limit");
        var after = query["after"].ToString() is { Length: > 0 } a ? a : null;
        var page = store.List(Owner(context.Key!), BatchProtocols.OpenAI, after, limit + 1);
        var data = new JsonArray();
        foreach (var batch in page.Take(limit))
        {
            var answer = await upstream.SendAsync(Provider(batch.Provider), HttpMethod.Get, $"/v1/batches/{batch.ProviderBatchId}", null, context.Http.RequestAborted);
            if (!answer.Ok) continue;
            settler.Record(batch, answer.Body);
            data.Add(JsonNode.Parse(Rewrite(answer.Body, batch, context.Http)));
        }
        var shown = page.Take(limit).ToList();
        var list = new JsonObject
        {
            ["object"] = "list",
            ["data"] = data,
            ["first_id"] = shown.Count > 0 ? shown[0].Id : null,
            ["last_id"] = shown.Count > 0 ? shown[^1].Id : null,
            ["has_more"] = page.Count > limit,
        };
        await RelayAsync(context, new UpstreamAnswer(200, JsonSerializer.SerializeToUtf8Bytes(list), "application/json"));
    }

    private StoredBatch Owned(ProxyContext context, string id)
    {
        var batch = store.Find(id);
        var anthropic = context.Route.Dialect == Dialect.Anthropic;
        if (batch is null || batch.Owner != Owner(context.Key!) || batch.Protocol == BatchProtocols.BackgroundResponse || (batch.Protocol == BatchProtocols.Anthropic) != anthropic)
            throw new GatewayException(404, "batch_not_found", anthropic ? $"No message batch found with id '{id}'." : $"No batch found with id '{id}'.", "batch_id");
        return batch;
    }

    private Providers.ProviderEndpoint Provider(string name) => router.Current.Provider(name)
        ?? throw new GatewayException(503, "provider_not_configured", $"Provider '{name}' that holds this batch is no longer configured.");

    /// <summary>The key's model allow-list, held for every line (null: any model).</summary>
    private static Func<string, bool>? Allowed(ProxyContext context) => context.Key!.Models is { } models ? models.Allows : null;

    /// <summary>The tenant: the key's person (several keys of one person share their batches), never another's.</summary>
    private static string Owner(VirtualKey key) => key.Person;

    private async Task<byte[]> ReadBoundedAsync(ProxyContext context)
    {
        var http = context.Http;
        var max = options.Batches.MaxBodyBytes;
        if (http.Request.ContentLength > max) throw TooLarge(max);
        using var buffer = new MemoryStream();
        var chunk = new byte[64 * 1024];
        int read;
        while ((read = await http.Request.Body.ReadAsync(chunk, http.RequestAborted)) > 0)
        {
            if (buffer.Length + read > max) throw TooLarge(max);
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }

    private static GatewayException TooLarge(long max) =>
        new(413, "request_too_large", $"The batch upload is larger than this gateway accepts ({max} bytes, batches.maxBodyBytes).");

    private static JsonDocument ParseObject(byte[] body)
    {
        try
        {
            var doc = JsonDocument.Parse(body);
            if (doc.RootElement.ValueKind == JsonValueKind.Object) return doc;
            doc.Dispose();
        }
        catch (JsonException)
        {
        }
        throw GatewayException.BadRequest("invalid_json", "The request body is not a JSON object.");
    }

    private static HttpContent UpstreamBatch(byte[] body) => UpstreamAnswerContent.Json(body.Length == 0 ? "{}"u8.ToArray() : body);

    private static string Id(byte[] providerObject)
    {
        using var doc = JsonDocument.Parse(providerObject);
        return doc.RootElement.GetProperty("id").GetString()!;
    }

    /// <summary>The provider's batch object with the gateway's id (and, for Anthropic, a results_url on the gateway).</summary>
    private static byte[] Rewrite(byte[] providerBatch, StoredBatch batch, HttpContext http)
    {
        var node = JsonNode.Parse(providerBatch)!.AsObject();
        node["id"] = batch.Id;
        if (node["results_url"] is not null)
            node["results_url"] = $"{http.Request.Scheme}://{http.Request.Host}/v1/messages/batches/{batch.Id}/results";
        return JsonSerializer.SerializeToUtf8Bytes(node);
    }

    /// <summary>Attribution tags from the headers, plus the batch's string metadata (OpenAI), sorted "k=v".</summary>
    private static string? Tags(string? headerTags, JsonElement metadata)
    {
        var pairs = new SortedDictionary<string, string>(StringComparer.Ordinal);
        if (headerTags is not null)
            foreach (var pair in headerTags.Split(',', StringSplitOptions.RemoveEmptyEntries))
                if (pair.IndexOf('=') is var eq and > 0) pairs[pair[..eq]] = pair[(eq + 1)..];
        if (metadata.ValueKind == JsonValueKind.Object)
            foreach (var p in metadata.EnumerateObject())
                if (p.Value.ValueKind == JsonValueKind.String && !p.Name.Contains(',') && !p.Name.Contains('='))
                    pairs.TryAdd(p.Name, Protocols.JsonText.SafeString(p.Value).Replace(",", " ", StringComparison.Ordinal));
        return pairs.Count == 0 ? null : string.Join(',', pairs.Select(p => $"{p.Key}={p.Value}"));
    }

    private static Task RelayAsync(ProxyContext context, UpstreamAnswer answer) => UpstreamRelay.RelayAsync(context, answer);

    /// <summary>The ledger's route for a batch-lane call (no body is metered: its row is $0).</summary>
    private sealed class BatchRoute(string name, Dialect dialect, string path) : ProtocolRoute
    {
        public override string Name => name;
        public override string Path => path;
        public override Dialect Dialect => dialect;
        public override RequestFacts Read(JsonElement root) => throw new NotSupportedException();
        public override UsageMeter CreateMeter(RequestFacts facts) => throw new NotSupportedException();
        public override void CollectPromptText(JsonElement root, StringBuilder text) { }
    }
}

internal static class UpstreamAnswerContent
{
    public static HttpContent Json(byte[] body) => BatchUpstream.Json(body);
}
