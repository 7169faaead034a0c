using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Time.Testing;
using TokenOps.Core.Metering;

namespace TokenOps.Simulator.Tests;

/// <summary>The simulator's batch APIs (OpenAI files + batches, Anthropic message batches) on a fake clock.</summary>
public sealed class BatchTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 12, 1, 9, 0, 0, TimeSpan.Zero));
    private SimulatorServer _server = null!;

    public async Task InitializeAsync() =>
        _server = await SimulatorServer.StartAsync(new SimulatorOptions { TimeProvider = _clock, BatchProcessingTime = TimeSpan.FromMinutes(10) });

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private HttpRequestMessage OpenAI(HttpMethod method, string path, HttpContent? content = null)
    {
        var request = new HttpRequestMessage(method, path) { Content = content };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", SimulatorServer.ApiKey);
        return request;
    }

    private HttpRequestMessage Anthropic(HttpMethod method, string path, string? json = null)
    {
        var request = new HttpRequestMessage(method, path) { Content = json is null ? null : new StringContent(json, Encoding.UTF8, "application/json") };
        request.Headers.Add("x-api-key", SimulatorServer.ApiKey);
        request.Headers.Add("anthropic-version", "2023-06-01");
        return request;
    }

    private async Task<(HttpStatusCode Status, JsonElement Body)> SendAsync(HttpRequestMessage request)
    {
        using var response = await _server.Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, JsonDocument.Parse(text).RootElement.Clone());
    }

    private async Task<string> UploadAsync(string jsonl)
    {
        var form = new MultipartFormDataContent
        {
            { new StringContent("batch"), "purpose" },
            { new ByteArrayContent(Encoding.UTF8.GetBytes(jsonl)), "file", "input.jsonl" },
        };
        var (status, body) = await SendAsync(OpenAI(HttpMethod.Post, "/v1/files", form));
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("file", body.GetProperty("object").GetString());
        Assert.Equal("batch", body.GetProperty("purpose").GetString());
        Assert.Equal(Encoding.UTF8.GetByteCount(jsonl), body.GetProperty("bytes").GetInt64());
        return body.GetProperty("id").GetString()!;
    }

    private static string Line(string customId, string model, string prompt, string extra = "") =>
        $$$"""{"custom_id":"{{{customId}}}","method":"POST","url":"/v1/chat/completions","body":{"model":"{{{model}}}","max_tokens":300,"messages":[{"role":"user","content":"{{{prompt}}}"}]{{{extra}}}}}""";

    private async Task<JsonElement> CreateBatchAsync(string fileId)
    {
        var (status, batch) = await SendAsync(OpenAI(HttpMethod.Post, "/v1/batches",
            JsonContent($$$"""{"input_file_id":"{{{fileId}}}","endpoint":"/v1/chat/completions","completion_window":"24h","metadata":{"job":"eval"}}""")));
        Assert.Equal(HttpStatusCode.OK, status);
        return batch;
    }

    private static StringContent JsonContent(string json) => new(json, Encoding.UTF8, "application/json");

    [Fact]
    public async Task OpenAI_batch_completes_on_the_clock_and_bills_every_line_at_batch_rates()
    {
        var fileId = await UploadAsync(string.Join("\n",
            Line("a", "gpt-4o-mini", "Label this review: great product"),
            Line("b", "gpt-4o-mini", "Label this review: broke in a day"),
            Line("c", "gpt-4o-mini", "fails", ""","sim_fault":"error:400" """.Trim())) + "\n");
        var batch = await CreateBatchAsync(fileId);
        var id = batch.GetProperty("id").GetString()!;
        Assert.StartsWith("batch_", id);
        Assert.Equal("in_progress", batch.GetProperty("status").GetString());
        Assert.Equal("eval", batch.GetProperty("metadata").GetProperty("job").GetString());
        Assert.Equal(3, batch.GetProperty("request_counts").GetProperty("total").GetInt32());
        Assert.Equal(JsonValueKind.Null, batch.GetProperty("output_file_id").ValueKind);
        Assert.Equal(0, _server.Bill.Count);

        _clock.Advance(TimeSpan.FromMinutes(9));
        var (_, running) = await SendAsync(OpenAI(HttpMethod.Get, $"/v1/batches/{id}"));
        Assert.Equal("in_progress", running.GetProperty("status").GetString());

        _clock.Advance(TimeSpan.FromMinutes(1));
        var (_, done) = await SendAsync(OpenAI(HttpMethod.Get, $"/v1/batches/{id}"));
        Assert.Equal("completed", done.GetProperty("status").GetString());
        Assert.Equal(2, done.GetProperty("request_counts").GetProperty("completed").GetInt32());
        Assert.Equal(1, done.GetProperty("request_counts").GetProperty("failed").GetInt32());

        using var output = await _server.Http.SendAsync(OpenAI(HttpMethod.Get, $"/v1/files/{done.GetProperty("output_file_id").GetString()}/content"));
        var lines = (await output.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(["a", "b"], lines.Select(l => l.GetProperty("custom_id").GetString()));
        foreach (var line in lines)
        {
            var body = line.GetProperty("response").GetProperty("body");
            Assert.Equal(200, line.GetProperty("response").GetProperty("status_code").GetInt32());
            Assert.Equal("batch", body.GetProperty("service_tier").GetString());
            var entry = Assert.IsType<BillEntry>(_server.Bill.Find(body.GetProperty("id").GetString()!));
            Assert.Equal(SimProtocols.OpenAIBatch, entry.Protocol);
            Assert.Equal(ServiceTier.Batch, entry.Usage.Tier);
            var usage = body.GetProperty("usage");
            Assert.Equal(usage.GetProperty("prompt_tokens").GetInt64(), entry.Usage.UncachedInput + entry.Usage.CacheRead);
            Assert.Equal(usage.GetProperty("completion_tokens").GetInt64(), entry.Usage.Output);
        }
        Assert.Equal(2, _server.Bill.Count);

        using var errors = await _server.Http.SendAsync(OpenAI(HttpMethod.Get, $"/v1/files/{done.GetProperty("error_file_id").GetString()}/content"));
        var error = JsonDocument.Parse((await errors.Content.ReadAsStringAsync()).Trim()).RootElement;
        Assert.Equal("c", error.GetProperty("custom_id").GetString());
        Assert.Equal(400, error.GetProperty("response").GetProperty("status_code").GetInt32());
        Assert.Equal("invalid_request_error", error.GetProperty("response").GetProperty("body").GetProperty("error").GetProperty("type").GetString());
    }

    [Fact]
    public async Task OpenAI_usage_is_deterministic_per_line()
    {
        var jsonl = Line("x", "gpt-4o", "The same question every night") + "\n";
        var ids = new List<string>();
        foreach (var _ in new[] { 1, 2 })
        {
            var batch = await CreateBatchAsync(await UploadAsync(jsonl));
            ids.Add(batch.GetProperty("id").GetString()!);
        }
        _clock.Advance(TimeSpan.FromMinutes(10));
        foreach (var id in ids) await SendAsync(OpenAI(HttpMethod.Get, $"/v1/batches/{id}"));
        var entries = _server.Bill.Entries;
        Assert.Equal(2, entries.Count);
        Assert.Equal(entries[0].Usage, entries[1].Usage);
        Assert.True(entries[0].Usage.Output > 0);
    }

    [Fact]
    public async Task OpenAI_bad_input_fails_the_batch_naming_the_line_and_unknown_ids_are_404()
    {
        var fileId = await UploadAsync(Line("a", "gpt-4o", "ok") + "\n{not json\n" + Line("a", "gpt-4o", "dup") + "\n");
        var batch = await CreateBatchAsync(fileId);
        Assert.Equal("failed", batch.GetProperty("status").GetString());
        var errors = batch.GetProperty("errors").GetProperty("data").EnumerateArray().Select(e => (e.GetProperty("code").GetString(), e.GetProperty("line").GetInt32())).ToList();
        Assert.Contains(("invalid_json_line", 2), errors);
        Assert.Contains(("duplicate_custom_id", 3), errors);

        var (status, missing) = await SendAsync(OpenAI(HttpMethod.Get, "/v1/batches/batch_nope"));
        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Equal("invalid_request_error", missing.GetProperty("error").GetProperty("type").GetString());
        (status, _) = await SendAsync(OpenAI(HttpMethod.Get, "/v1/files/file-nope"));
        Assert.Equal(HttpStatusCode.NotFound, status);
        (status, var noFile) = await SendAsync(OpenAI(HttpMethod.Post, "/v1/batches",
            JsonContent("""{"input_file_id":"file-nope","endpoint":"/v1/chat/completions","completion_window":"24h"}""")));
        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Contains("file-nope", noFile.GetProperty("error").GetProperty("message").GetString());
        (status, var badEndpoint) = await SendAsync(OpenAI(HttpMethod.Post, "/v1/batches",
            JsonContent($$"""{"input_file_id":"{{fileId}}","endpoint":"/v1/images","completion_window":"24h"}""")));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("endpoint", badEndpoint.GetProperty("error").GetProperty("param").GetString());
    }

    [Fact]
    public async Task OpenAI_list_pages_newest_first_and_cancel_ends_with_every_line_accounted()
    {
        var ids = new List<string>();
        for (var i = 0; i < 3; i++) ids.Add((await CreateBatchAsync(await UploadAsync(Line("l" + i, "gpt-4o-mini", "q" + i) + "\n"))).GetProperty("id").GetString()!);
        var (_, first) = await SendAsync(OpenAI(HttpMethod.Get, "/v1/batches?limit=2"));
        Assert.Equal([ids[2], ids[1]], first.GetProperty("data").EnumerateArray().Select(b => b.GetProperty("id").GetString()));
        Assert.True(first.GetProperty("has_more").GetBoolean());
        var (_, second) = await SendAsync(OpenAI(HttpMethod.Get, $"/v1/batches?limit=2&after={first.GetProperty("last_id").GetString()}"));
        Assert.Equal([ids[0]], second.GetProperty("data").EnumerateArray().Select(b => b.GetProperty("id").GetString()));
        Assert.False(second.GetProperty("has_more").GetBoolean());

        var (status, cancelling) = await SendAsync(OpenAI(HttpMethod.Post, $"/v1/batches/{ids[0]}/cancel"));
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("cancelling", cancelling.GetProperty("status").GetString());
        var (_, cancelled) = await SendAsync(OpenAI(HttpMethod.Get, $"/v1/batches/{ids[0]}"));
        Assert.Equal("cancelled", cancelled.GetProperty("status").GetString());
        using var errors = await _server.Http.SendAsync(OpenAI(HttpMethod.Get, $"/v1/files/{cancelled.GetProperty("error_file_id").GetString()}/content"));
        Assert.Contains("batch_cancelled", await errors.Content.ReadAsStringAsync());
        (status, _) = await SendAsync(OpenAI(HttpMethod.Post, $"/v1/batches/{ids[0]}/cancel"));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal(0, _server.Bill.Count);
    }

    [Fact]
    public async Task Anthropic_batch_ends_with_results_and_expires_when_too_slow()
    {
        const string requests = """
            {"requests":[
              {"custom_id":"r1","params":{"model":"claude-haiku-4-5","max_tokens":200,"messages":[{"role":"user","content":"Grade this answer"}]}},
              {"custom_id":"r2","params":{"model":"claude-haiku-4-5","max_tokens":200,"messages":[{"role":"user","content":"And this one"}],"sim_fault":"error:500"}}]}
            """;
        var (status, batch) = await SendAsync(Anthropic(HttpMethod.Post, "/v1/messages/batches", requests));
        Assert.Equal(HttpStatusCode.OK, status);
        var id = batch.GetProperty("id").GetString()!;
        Assert.StartsWith("msgbatch_", id);
        Assert.Equal("message_batch", batch.GetProperty("type").GetString());
        Assert.Equal("in_progress", batch.GetProperty("processing_status").GetString());
        Assert.Equal(2, batch.GetProperty("request_counts").GetProperty("processing").GetInt32());
        Assert.Equal(JsonValueKind.Null, batch.GetProperty("results_url").ValueKind);
        (status, var early) = await SendAsync(Anthropic(HttpMethod.Get, $"/v1/messages/batches/{id}/results"));
        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Equal("not_found_error", early.GetProperty("error").GetProperty("type").GetString());

        _clock.Advance(TimeSpan.FromMinutes(10));
        var (_, ended) = await SendAsync(Anthropic(HttpMethod.Get, $"/v1/messages/batches/{id}"));
        Assert.Equal("ended", ended.GetProperty("processing_status").GetString());
        Assert.Equal(1, ended.GetProperty("request_counts").GetProperty("succeeded").GetInt32());
        Assert.Equal(1, ended.GetProperty("request_counts").GetProperty("errored").GetInt32());
        Assert.EndsWith($"/v1/messages/batches/{id}/results", ended.GetProperty("results_url").GetString());

        using var results = await _server.Http.SendAsync(Anthropic(HttpMethod.Get, $"/v1/messages/batches/{id}/results"));
        var lines = (await results.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal("succeeded", lines[0].GetProperty("result").GetProperty("type").GetString());
        var message = lines[0].GetProperty("result").GetProperty("message");
        Assert.Equal("batch", message.GetProperty("usage").GetProperty("service_tier").GetString());
        var entry = Assert.IsType<BillEntry>(_server.Bill.Find(message.GetProperty("id").GetString()!));
        Assert.Equal(SimProtocols.AnthropicBatch, entry.Protocol);
        Assert.Equal(message.GetProperty("usage").GetProperty("output_tokens").GetInt64(), entry.Usage.Output);
        Assert.Equal("errored", lines[1].GetProperty("result").GetProperty("type").GetString());
        Assert.Equal("api_error", lines[1].GetProperty("result").GetProperty("error").GetProperty("error").GetProperty("type").GetString());

        _server.Options.BatchProcessingTime = TimeSpan.FromHours(30);
        var (_, slow) = await SendAsync(Anthropic(HttpMethod.Post, "/v1/messages/batches", requests));
        _clock.Advance(TimeSpan.FromHours(24));
        var (_, expired) = await SendAsync(Anthropic(HttpMethod.Get, $"/v1/messages/batches/{slow.GetProperty("id").GetString()}"));
        Assert.Equal("ended", expired.GetProperty("processing_status").GetString());
        Assert.Equal(2, expired.GetProperty("request_counts").GetProperty("expired").GetInt32());
        Assert.Equal(1, _server.Bill.Count);
    }

    [Fact]
    public async Task Anthropic_bad_requests_are_400_naming_the_index_and_unknown_ids_404()
    {
        var (status, body) = await SendAsync(Anthropic(HttpMethod.Post, "/v1/messages/batches", """
            {"requests":[{"custom_id":"a","params":{"model":"claude-haiku-4-5","max_tokens":5,"messages":[]}},
                         {"custom_id":"a","params":{"model":"claude-haiku-4-5","max_tokens":5,"messages":[]}}]}
            """));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("invalid_request_error", body.GetProperty("error").GetProperty("type").GetString());
        Assert.StartsWith("requests.1.custom_id", body.GetProperty("error").GetProperty("message").GetString());
        (status, body) = await SendAsync(Anthropic(HttpMethod.Get, "/v1/messages/batches/msgbatch_nope"));
        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Equal("not_found_error", body.GetProperty("error").GetProperty("type").GetString());
        (status, _) = await SendAsync(Anthropic(HttpMethod.Post, "/v1/messages/batches/msgbatch_nope/cancel"));
        Assert.Equal(HttpStatusCode.NotFound, status);
    }
}
