using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using TokenOps.Core.Ledger;
using TokenOps.Gateway.Configuration;
using TokenOps.Gateway.Tests.Infrastructure;
using TokenOps.Simulator;

namespace TokenOps.Gateway.Tests.Batches;

/// <summary>The batch lane end to end: the gateway in front of the simulator's batch APIs, real HTTP, a real SQLite ledger.</summary>
public sealed class BatchLaneTests
{
    private static SimulatorOptions FastBatches() => new() { BatchProcessingTime = TimeSpan.FromMilliseconds(300) };

    private static string Line(string customId, string model, string prompt, string extra = "") =>
        $$$"""{"custom_id":"{{{customId}}}","method":"POST","url":"/v1/chat/completions","body":{"model":"{{{model}}}","max_tokens":200,"messages":[{"role":"user","content":"{{{prompt}}}"}]{{{extra}}}}}""";

    private static async Task<(HttpStatusCode Status, JsonElement Body)> SendAsync(HttpClient http, HttpRequestMessage request)
    {
        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, JsonDocument.Parse(text).RootElement.Clone());
    }

    private static HttpRequestMessage Upload(string jsonl)
    {
        var form = new MultipartFormDataContent
        {
            { new StringContent("batch"), "purpose" },
            { new ByteArrayContent(Encoding.UTF8.GetBytes(jsonl)), "file", "nightly-eval.jsonl" },
        };
        return new HttpRequestMessage(HttpMethod.Post, "/v1/files") { Content = form };
    }

    private static HttpRequestMessage Json(HttpMethod method, string path, string json) =>
        new(method, path) { Content = new StringContent(json, Encoding.UTF8, "application/json") };

    private static HttpRequestMessage Anthropic(HttpMethod method, string path, string? json = null)
    {
        var request = json is null ? new HttpRequestMessage(method, path) : Json(method, path, json);
        request.Headers.Add("anthropic-version", "2023-06-01");
        return request;
    }

    private static async Task<JsonElement> PollAsync(HttpClient http, Func<HttpRequestMessage> get, Func<JsonElement, bool> done)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (true)
        {
            var (status, body) = await SendAsync(http, get());
            Assert.Equal(HttpStatusCode.OK, status);
            if (done(body) || DateTime.UtcNow > deadline) return body;
            await Task.Delay(100);
        }
    }

    [Fact]
    public async Task OpenAI_batch_lines_become_one_row_each_at_the_simulators_bill_to_the_nano()
    {
        await using var gateway = await GatewayFixture.StartAsync(null, FastBatches());
        var key = gateway.CreateKey("ada", "research");
        using var http = gateway.Client(key);
        http.DefaultRequestHeaders.Add("X-TokenOps-Project", "evals");
        var jsonl = string.Join("\n", Line("q1", "gpt-4o-mini", "Grade answer one"), Line("q2", "gpt-4o-mini", "Grade answer two"),
            Line("q3", "gpt-4o-mini", "Grade answer three", ""","sim_fault":"error:400" """.Trim())) + "\n";
        var (status, file) = await SendAsync(http, Upload(jsonl));
        Assert.Equal(HttpStatusCode.OK, status);
        var fileId = file.GetProperty("id").GetString()!;

        (status, var batch) = await SendAsync(http, Json(HttpMethod.Post, "/v1/batches",
            $$$"""{"input_file_id":"{{{fileId}}}","endpoint":"/v1/chat/completions","completion_window":"24h","metadata":{"job":"nightly-eval"}}"""));
        Assert.Equal(HttpStatusCode.OK, status);
        var id = batch.GetProperty("id").GetString()!;
        Assert.StartsWith("batch_tok", id);

        var done = await PollAsync(http, () => new HttpRequestMessage(HttpMethod.Get, $"/v1/batches/{id}"), b => b.GetProperty("status").GetString() == "completed");
        Assert.Equal("completed", done.GetProperty("status").GetString());
        Assert.Equal(id, done.GetProperty("id").GetString());
        using (var output = await http.GetAsync($"/v1/files/{done.GetProperty("output_file_id").GetString()}/content"))
        {
            Assert.Equal(HttpStatusCode.OK, output.StatusCode);
            Assert.Equal(2, (await output.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        }
        // Fetching again, and the list, change nothing: each line is one row.
        using (await http.GetAsync($"/v1/files/{done.GetProperty("output_file_id").GetString()}/content")) { }
        var (_, list) = await SendAsync(http, new HttpRequestMessage(HttpMethod.Get, "/v1/batches?limit=5"));
        Assert.Equal([id], list.GetProperty("data").EnumerateArray().Select(b => b.GetProperty("id").GetString()));

        var rows = (await gateway.LedgerAsync()).Where(r => r.BatchId == id).ToList();
        Assert.Equal(3, rows.Count);
        Assert.Equal(3, rows.Select(r => r.Id).Distinct().Count());
        var ok = rows.Where(r => r.Outcome == LedgerOutcome.Ok).ToList();
        Assert.Equal(2, ok.Count);
        var bill = gateway.Bill.Entries.Where(e => e.Protocol == SimProtocols.OpenAIBatch).ToList();
        Assert.Equal(2, bill.Count);
        Assert.Equal(gateway.BilledNanos(bill), ok.Sum(r => r.CostNanos));
        Assert.All(ok, r =>
        {
            Assert.Equal(Core.Metering.ServiceTier.Batch, r.Usage.Tier);
            Assert.Equal("batch", r.Levers);
            Assert.True(r.Savings.NanosOf("batch") > 0);
            // The catalog's batch rates are half the standard ones: the saving equals the cost (to a nano of rounding).
            Assert.InRange(r.Savings.NanosOf("batch") - r.CostNanos, -1, 1);
            Assert.Equal(("ada", "research", "evals", "job=nightly-eval"), (r.Person, r.Team, r.Project, r.Tags));
        });
        var failed = Assert.Single(rows, r => r.Outcome == LedgerOutcome.ProviderError);
        Assert.Equal((0L, 400), (failed.CostNanos, failed.Status));
    }

    [Fact]
    public async Task Anthropic_batch_settles_once_with_errored_lines_at_zero_and_the_poller_alone_suffices()
    {
        await using var gateway = await GatewayFixture.StartAsync(o => o.Batches.PollSeconds = 0.3, FastBatches());
        using var http = gateway.Client(gateway.CreateKey("bea", "core"));
        var (status, batch) = await SendAsync(http, Anthropic(HttpMethod.Post, "/v1/messages/batches", """
            {"requests":[
              {"custom_id":"r1","params":{"model":"claude-haiku-4-5","max_tokens":100,"messages":[{"role":"user","content":"Summarise ticket 1"}]}},
              {"custom_id":"r2","params":{"model":"claude-haiku-4-5","max_tokens":100,"messages":[{"role":"user","content":"Summarise ticket 2"}]}},
              {"custom_id":"r3","params":{"model":"claude-haiku-4-5","max_tokens":100,"messages":[{"role":"user","content":"x"}],"sim_fault":"error:500"}}]}
            """));
        Assert.Equal(HttpStatusCode.OK, status);
        var id = batch.GetProperty("id").GetString()!;
        Assert.StartsWith("msgbatch_tok", id);

        // Nobody fetches anything: the poller sees the batch end and settles it.
        var deadline = DateTime.UtcNow.AddSeconds(15);
        List<LedgerEntry> rows;
        do
        {
            await Task.Delay(200);
            rows = (await gateway.LedgerAsync()).Where(r => r.BatchId == id).ToList();
        } while (rows.Count < 3 && DateTime.UtcNow < deadline);
        Assert.Equal(3, rows.Count);

        var ended = await PollAsync(http, () => Anthropic(HttpMethod.Get, $"/v1/messages/batches/{id}"), b => b.GetProperty("processing_status").GetString() == "ended");
        Assert.EndsWith($"/v1/messages/batches/{id}/results", ended.GetProperty("results_url").GetString());
        using (var results = await http.SendAsync(Anthropic(HttpMethod.Get, $"/v1/messages/batches/{id}/results")))
            Assert.Equal(3, (await results.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);

        rows = (await gateway.LedgerAsync()).Where(r => r.BatchId == id).ToList();
        Assert.Equal(3, rows.Count);
        var bill = gateway.Bill.Entries.Where(e => e.Protocol == SimProtocols.AnthropicBatch).ToList();
        Assert.Equal(gateway.BilledNanos(bill), rows.Sum(r => r.CostNanos));
        var errored = Assert.Single(rows, r => r.Outcome == LedgerOutcome.ProviderError);
        Assert.Equal(("api_error", 0L), (errored.ErrorCode, errored.CostNanos));
    }

    [Fact]
    public async Task Bad_input_is_a_4xx_naming_the_line_and_nothing_is_reserved_or_sent()
    {
        await using var gateway = await GatewayFixture.StartAsync(o => o.Budgets.People["cat"] = new BudgetOptions { LimitUsd = 0.0001m, Period = "daily" }, FastBatches());
        using var http = gateway.Client(gateway.CreateKey("cat", "core"));

        var (status, body) = await SendAsync(http, Upload(Line("a", "gpt-4o-mini", "ok") + "\n{not json\n"));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal(("invalid_json_line", true), (body.GetProperty("error").GetProperty("code").GetString(), body.GetProperty("error").GetProperty("message").GetString()!.StartsWith("Line 2:")));
        (status, body) = await SendAsync(http, Upload(Line("a", "gpt-4o-mini", "ok") + "\n" + Line("a", "gpt-4o-mini", "again") + "\n"));
        Assert.Equal("duplicate_custom_id", body.GetProperty("error").GetProperty("code").GetString());
        (status, body) = await SendAsync(http, Upload(Line("a", "no-such-model-xyz", "ok") + "\n"));
        Assert.True(status is HttpStatusCode.BadRequest or HttpStatusCode.NotFound);
        Assert.StartsWith("Line 1:", body.GetProperty("error").GetProperty("message").GetString());
        (status, body) = await SendAsync(http, Upload("""{"custom_id":"a","method":"POST","url":"/v1/images","body":{"model":"gpt-4o"}}""" + "\n"));
        Assert.Equal("unknown_url", body.GetProperty("error").GetProperty("code").GetString());
        (status, body) = await SendAsync(http, Anthropic(HttpMethod.Post, "/v1/messages/batches",
            """{"requests":[{"custom_id":"a","params":{"model":"claude-haiku-4-5","max_tokens":5,"messages":[]}},{"custom_id":"a","params":{"model":"claude-haiku-4-5","max_tokens":5,"messages":[]}}]}"""));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("error", body.GetProperty("type").GetString());
        Assert.StartsWith("requests.1.custom_id", body.GetProperty("error").GetProperty("message").GetString());

        // A batch that does not fit the budget is refused whole with 402 naming it; the provider never sees it.
        (status, var file) = await SendAsync(http, Upload(
            """{"custom_id":"big","method":"POST","url":"/v1/chat/completions","body":{"model":"gpt-4o","max_tokens":100000,"messages":[{"role":"user","content":"an expensive question"}]}}""" + "\n"));
        Assert.Equal(HttpStatusCode.OK, status);
        (status, body) = await SendAsync(http, Json(HttpMethod.Post, "/v1/batches",
            $$$"""{"input_file_id":"{{{file.GetProperty("id").GetString()}}}","endpoint":"/v1/chat/completions","completion_window":"24h"}"""));
        Assert.Equal(HttpStatusCode.PaymentRequired, status);
        Assert.Equal("budget_exceeded", body.GetProperty("error").GetProperty("code").GetString());
        Assert.Equal("person:cat", body.GetProperty("error").GetProperty("budget").GetString());
        Assert.Equal(0, gateway.App.Services.GetRequiredService<TokenOps.Gateway.Budgets.BudgetEngine>().Book.OpenReservations);
        Assert.Empty(gateway.Bill.Entries);
    }

    [Fact]
    public async Task A_keys_model_allow_list_holds_for_every_line_of_a_batch()
    {
        await using var gateway = await GatewayFixture.StartAsync(simulator: FastBatches());
        var (key, secret) = gateway.Keys.Create("lim", "core");
        gateway.Keys.SetLimits(key.Id, null, TokenOps.Core.Identity.ModelAllowList.Parse("gpt-4o-mini, claude-haiku-*"));
        using var http = gateway.Client(secret);
        var (status, body) = await SendAsync(http, Upload(Line("a", "gpt-4o-mini", "ok") + "\n" + Line("b", "gpt-4o", "dear") + "\n"));
        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Equal("model_not_allowed", body.GetProperty("error").GetProperty("code").GetString());
        Assert.StartsWith("Line 2:", body.GetProperty("error").GetProperty("message").GetString());
        (status, body) = await SendAsync(http, Anthropic(HttpMethod.Post, "/v1/messages/batches",
            """{"requests":[{"custom_id":"a","params":{"model":"claude-sonnet-4-5","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}}]}"""));
        Assert.Equal((HttpStatusCode.Forbidden, "error"), (status, body.GetProperty("type").GetString()));
        (status, _) = await SendAsync(http, Upload(Line("a", "gpt-4o-mini", "ok") + "\n"));
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Empty(gateway.Bill.Entries);
    }

    [Fact]
    public async Task Another_persons_batch_or_file_is_404_like_an_unknown_id()
    {
        await using var gateway = await GatewayFixture.StartAsync(null, FastBatches());
        using var owner = gateway.Client(gateway.CreateKey("dan", "core"));
        using var other = gateway.Client(gateway.CreateKey("eve", "core"));
        var (_, file) = await SendAsync(owner, Upload(Line("a", "gpt-4o-mini", "mine") + "\n"));
        var fileId = file.GetProperty("id").GetString()!;
        var (_, batch) = await SendAsync(owner, Json(HttpMethod.Post, "/v1/batches",
            $$$"""{"input_file_id":"{{{fileId}}}","endpoint":"/v1/chat/completions","completion_window":"24h"}"""));
        var id = batch.GetProperty("id").GetString()!;
        var (_, anthropic) = await SendAsync(owner, Anthropic(HttpMethod.Post, "/v1/messages/batches",
            """{"requests":[{"custom_id":"a","params":{"model":"claude-haiku-4-5","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}}]}"""));
        var msgId = anthropic.GetProperty("id").GetString()!;

        foreach (var (path, unknown) in new[] { ($"/v1/batches/{id}", "/v1/batches/batch_tokffff"), ($"/v1/files/{fileId}", "/v1/files/file-nope"),
                     ($"/v1/files/{fileId}/content", "/v1/files/file-nope/content") })
        {
            var (theirs, theirBody) = await SendAsync(other, new HttpRequestMessage(HttpMethod.Get, path));
            var (missing, missingBody) = await SendAsync(other, new HttpRequestMessage(HttpMethod.Get, unknown));
            Assert.Equal((HttpStatusCode.NotFound, HttpStatusCode.NotFound), (theirs, missing));
            Assert.Equal(missingBody.GetProperty("error").GetProperty("code").GetString(), theirBody.GetProperty("error").GetProperty("code").GetString());
        }
        var (cancel, _) = await SendAsync(other, new HttpRequestMessage(HttpMethod.Post, $"/v1/batches/{id}/cancel"));
        Assert.Equal(HttpStatusCode.NotFound, cancel);
        var (msg, msgBody) = await SendAsync(other, Anthropic(HttpMethod.Get, $"/v1/messages/batches/{msgId}/results"));
        Assert.Equal(HttpStatusCode.NotFound, msg);
        Assert.Equal("not_found_error", msgBody.GetProperty("error").GetProperty("type").GetString());
        var (_, list) = await SendAsync(other, new HttpRequestMessage(HttpMethod.Get, "/v1/batches"));
        Assert.Empty(list.GetProperty("data").EnumerateArray());
        var (_, created) = await SendAsync(other, Json(HttpMethod.Post, "/v1/batches",
            $$$"""{"input_file_id":"{{{fileId}}}","endpoint":"/v1/chat/completions","completion_window":"24h"}"""));
        Assert.Equal("file_not_found", created.GetProperty("error").GetProperty("code").GetString());
    }
}
