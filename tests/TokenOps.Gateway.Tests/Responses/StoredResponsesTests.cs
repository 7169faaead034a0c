using Microsoft.Extensions.DependencyInjection;
using System.Net;
using System.Text;
using System.Text.Json;
using OpenAI.Responses;
using TokenOps.Core.Ledger;
using TokenOps.Core.Pricing;
using TokenOps.Gateway.Configuration;
using TokenOps.Gateway.Responses;
using TokenOps.Gateway.Tests.Budgets;
using TokenOps.Gateway.Tests.Infrastructure;

namespace TokenOps.Gateway.Tests.Responses;

/// <summary>
/// GET, DELETE and cancel of stored responses, owner-only; and background mode: the hold taken at submit stays, and the
/// request's one row is written when the response ends, with the provider's usage, however it is seen to end (a client's
/// GET, the poller, a cancel, a delete). The simulator finishes a background response 200 ms after it was submitted
/// (x-sim-latency-ms sets another time).
/// </summary>
public sealed class StoredResponsesTests
{
    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private static async Task<JsonElement> ReadAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    private static async Task<string> SubmitBackgroundAsync(HttpClient http, int latencyMs = 0)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/responses")
        {
            Content = Json("""{"model":"gpt-4o-mini","input":"Summarise this quarter's spend.","background":true,"max_output_tokens":200}"""),
        };
        if (latencyMs > 0) request.Headers.Add("x-sim-latency-ms", latencyMs.ToString(System.Globalization.CultureInfo.InvariantCulture));
        using var response = await http.SendAsync(request);
        var queued = await ReadAsync(response);
        Assert.Equal("queued", queued.GetProperty("status").GetString());
        var id = queued.GetProperty("id").GetString()!;
        Assert.Equal(BackgroundResponses.RowId(id), response.Headers.GetValues("X-TokenOps-Request-Id").Single());
        return id;
    }

    private static async Task<JsonElement> PollUntilEndedAsync(HttpClient http, string id)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            using var response = await http.GetAsync($"/v1/responses/{id}");
            var body = await ReadAsync(response);
            if (body.GetProperty("status").GetString() is "completed" or "incomplete" or "cancelled" or "failed" || DateTime.UtcNow > deadline) return body;
            await Task.Delay(50);
        }
    }

    /// <summary>Waits (bounded) for the background response's row, which the poller writes when the response ends.</summary>
    private static async Task<LedgerEntry> SettledRowAsync(GatewayFixture gateway)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        LedgerEntry? row = null;
        while (row is null && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
            row = (await gateway.LedgerAsync()).SingleOrDefault(r => r.Route == "openai.responses");
        }
        Assert.NotNull(row);
        return row!;
    }

    [Fact]
    public async Task AStoredResponse_IsReadAndDeletedByItsOwner_AndIsAnUnknownIdToAnyoneElse()
    {
        await using var gateway = await GatewayFixture.StartAsync();
        var client = new ResponsesClient(new System.ClientModel.ApiKeyCredential(gateway.CreateKey("ada", "core")), new ResponsesClientOptions
        {
            Endpoint = new Uri(gateway.BaseUrl, "v1"),
            RetryPolicy = new System.ClientModel.Primitives.ClientRetryPolicy(maxRetries: 0),
        });
        ResponseResult created = await client.CreateResponseAsync("gpt-4o-mini", "Name three budget levers.");
        // The official SDK reads it back through the gateway.
        ResponseResult read = await client.GetResponseAsync(created.Id);
        Assert.Equal((created.Id, created.GetOutputText()), (read.Id, read.GetOutputText()));

        using var mallory = gateway.Client(gateway.CreateKey("mallory", "core"));
        foreach (var attempt in new[] { mallory.GetAsync($"/v1/responses/{created.Id}"), mallory.DeleteAsync($"/v1/responses/{created.Id}"),
                     mallory.PostAsync($"/v1/responses/{created.Id}/cancel", Json("{}")) })
        {
            using var refused = await attempt;
            Assert.Equal(HttpStatusCode.NotFound, refused.StatusCode);
            using var error = JsonDocument.Parse(await refused.Content.ReadAsStringAsync());
            Assert.Equal("response_not_found", error.RootElement.GetProperty("error").GetProperty("code").GetString());
        }

        using var owner = gateway.Client(gateway.CreateKey("ada", "core"));
        var deleted = await ReadAsync(await owner.DeleteAsync($"/v1/responses/{created.Id}"));
        Assert.True(deleted.GetProperty("deleted").GetBoolean());
        using var gone = await owner.GetAsync($"/v1/responses/{created.Id}");
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);

        var rows = await gateway.LedgerAsync();
        // One metered row for the response, and a $0 row for each other call, refused or not.
        var metered = Assert.Single(rows, r => r.Route == "openai.responses");
        Assert.Equal(created.Id, metered.ProviderRequestId);
        var calls = rows.Where(r => r.Route == StoredResponseEndpoints.RouteName).ToList();
        Assert.Equal(6, calls.Count);
        Assert.All(calls, r => Assert.Equal(0, r.CostNanos));
        Assert.Equal(3, calls.Count(r => r.Person == "mallory" && r.Status == 404));
    }

    [Fact]
    public async Task ABackgroundResponse_HoldsItsWorstCase_AndIsBilledOnceWhenItEnds()
    {
        await using var gateway = await GatewayFixture.StartAsync(o => o.Budgets.People["ada"] = new BudgetOptions { LimitUsd = 10m, Period = "daily" });
        using var http = gateway.Client(gateway.CreateKey("ada", "core"));
        var id = await SubmitBackgroundAsync(http, latencyMs: 700);
        // Queued: no row yet, and the hold outlives the request.
        Assert.DoesNotContain(await gateway.LedgerAsync(), r => r.Route == "openai.responses");
        Assert.True(gateway.Engine().Current().Single().Reserved > 0, "the running response holds its worst case");

        var done = await PollUntilEndedAsync(http, id);
        Assert.Equal("completed", done.GetProperty("status").GetString());
        using (var again = await http.GetAsync($"/v1/responses/{id}")) await ReadAsync(again); // seen ended twice: still one row
        var bill = Assert.Single(gateway.Bill.Entries, e => e.Id == id);
        var row = Assert.Single(await gateway.LedgerAsync(), r => r.Route == "openai.responses");
        Assert.Equal((BackgroundResponses.RowId(id), id, "ada", LedgerOutcome.Ok), (row.Id, row.ProviderRequestId, row.Person, row.Outcome));
        Assert.Equal(bill.Usage with { Tier = row.Usage.Tier }, row.Usage);
        Assert.Equal(gateway.BilledNanos([bill]), row.CostNanos);
        Assert.False(row.Estimated);
        var budget = Assert.Single(await gateway.SettledSnapshotsAsync());
        Assert.Equal((0m, row.CostNanos), (budget.Reserved, NanoUsd.FromUsd(budget.Spent)));
    }

    [Fact]
    public async Task ABackgroundResponsesRow_KeepsWhatWasKnownAtSubmit_AttributionFingerprintsAndTheDegradesSaving()
    {
        await using var gateway = await GatewayFixture.StartAsync(o => o.Budgets.Tiers["junior"] = new TierOptions
        {
            People = ["gus"],
            Stipend = new BudgetOptions { LimitUsd = 0.000001m, Period = "daily", Mode = "soft", SoftAction = "degrade" },
            DegradeModels = { ["openai"] = "gpt-4o-mini", ["anthropic"] = "claude-haiku-4-5" },
        });
        using var http = gateway.Client(gateway.CreateKey("gus", "core"));
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/responses")
        {
            Content = Json("""{"model":"gpt-4o","instructions":"You are terse.","input":"Summarise this quarter's spend.","background":true,"max_output_tokens":200}"""),
        };
        request.Headers.Add("X-TokenOps-Ticket", "FIN-42");
        request.Headers.Add("X-TokenOps-Session", "night-run-7");
        request.Headers.UserAgent.ParseAdd("codex_cli_rs/0.40.0");
        using var response = await http.SendAsync(request);
        var id = (await ReadAsync(response)).GetProperty("id").GetString()!;
        Assert.Equal("completed", (await PollUntilEndedAsync(http, id)).GetProperty("status").GetString());

        var row = Assert.Single(await gateway.LedgerAsync(), r => r.Route == "openai.responses");
        var bill = Assert.Single(gateway.Bill.Entries, e => e.Id == id);
        Assert.Equal("gpt-4o-mini", bill.Model);
        Assert.Equal((BackgroundResponses.RowId(id), "gpt-4o", "gpt-4o-mini", "FIN-42", "night-run-7", "codex"),
            (row.Id, row.RequestedModel, row.ServedModel, row.Ticket, row.SessionId, row.ClientFamily));
        Assert.Equal("degraded:gpt-4o->gpt-4o-mini", row.BudgetAction);
        Assert.NotNull(row.PromptHash);
        Assert.NotNull(row.TurnSimHash);
        Assert.True(row.MessageCount > 0);
        Assert.Equal(gateway.BilledNanos([bill]), row.CostNanos);
        // The saving is priced on the tokens the response finally used, not the submit's zero.
        Assert.Equal("degraded", row.Levers);
        Assert.True(BundledCatalog.Load().TryGet("gpt-4o", out var gpt4o));
        Assert.Equal(NanoUsd.FromUsd(CostCalculator.Compute(gpt4o, row.Usage).Total - row.Cost.Total), row.Savings.NanosOf(TokenOps.Core.Savings.SavingsLevers.Degraded));
        Assert.True(row.Savings.Degraded > 0);
    }

    [Fact]
    public async Task ABackgroundResponseNobodyPolls_IsSettledByThePoller()
    {
        await using var gateway = await GatewayFixture.StartAsync(o => o.Batches.PollSeconds = 0.2);
        using var http = gateway.Client(gateway.CreateKey("bo", "core"));
        var id = await SubmitBackgroundAsync(http);
        var row = await SettledRowAsync(gateway);
        Assert.Equal(gateway.BilledNanos([Assert.Single(gateway.Bill.Entries, e => e.Id == id)]), row.CostNanos);
    }

    [Fact]
    public async Task Cancelling_ARunningBackgroundResponse_BooksItsRow_AndFreesTheHold()
    {
        await using var gateway = await GatewayFixture.StartAsync(o => o.Budgets.People["cy"] = new BudgetOptions { LimitUsd = 10m, Period = "daily" });
        using var http = gateway.Client(gateway.CreateKey("cy", "core"));
        var id = await SubmitBackgroundAsync(http, latencyMs: 60_000);
        var cancelled = await ReadAsync(await http.PostAsync($"/v1/responses/{id}/cancel", Json("{}")));
        Assert.Equal("cancelled", cancelled.GetProperty("status").GetString());
        var row = Assert.Single(await gateway.LedgerAsync(), r => r.Route == "openai.responses");
        Assert.Equal((LedgerOutcome.ClientAborted, "cancelled", 0L), (row.Outcome, row.ErrorCode, row.CostNanos));
        Assert.DoesNotContain(gateway.Bill.Entries, e => e.Id == id);
        Assert.Equal(0m, Assert.Single(await gateway.SettledSnapshotsAsync()).Reserved);
    }

    [Fact]
    public async Task Deleting_ARunningBackgroundResponse_CancelsAndBooksItFirst()
    {
        await using var gateway = await GatewayFixture.StartAsync();
        using var http = gateway.Client(gateway.CreateKey("dee", "core"));
        var id = await SubmitBackgroundAsync(http, latencyMs: 60_000);
        using var mallory = gateway.Client(gateway.CreateKey("mallory", "core"));
        using (var refused = await mallory.DeleteAsync($"/v1/responses/{id}")) Assert.Equal(HttpStatusCode.NotFound, refused.StatusCode);
        var deleted = await ReadAsync(await http.DeleteAsync($"/v1/responses/{id}"));
        Assert.True(deleted.GetProperty("deleted").GetBoolean());
        var row = Assert.Single(await gateway.LedgerAsync(), r => r.Route == "openai.responses");
        Assert.Equal(("dee", "cancelled"), (row.Person, row.ErrorCode));
    }

    [Fact]
    public async Task AStreamedBackgroundResponse_ReadToItsEnd_IsBilledFromTheStream_Once()
    {
        await using var gateway = await GatewayFixture.StartAsync(o => o.Budgets.People["eve"] = new BudgetOptions { LimitUsd = 10m, Period = "daily" });
        using var http = gateway.Client(gateway.CreateKey("eve", "core"));
        using var response = await http.PostAsync("/v1/responses", Json("""{"model":"gpt-4o-mini","input":"hi","background":true,"stream":true}"""));
        var body = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("event: response.completed", body);
        var row = Assert.Single(await gateway.LedgerAsync(1), r => r.Route == "openai.responses");
        var bill = Assert.Single(gateway.Bill.Entries);
        Assert.Equal(response.Headers.GetValues("X-TokenOps-Request-Id").Single(), row.Id);
        Assert.Equal((bill.Id, true, false), (row.ProviderRequestId, row.Streamed, row.Estimated));
        Assert.Equal(gateway.BilledNanos([bill]), row.CostNanos);
        // Settled from the stream: nothing left held, and a later GET adds only its own $0 row.
        Assert.Equal(0m, Assert.Single(await gateway.SettledSnapshotsAsync()).Reserved);
        Assert.Null(gateway.App.Services.GetRequiredService<TokenOps.Storage.IBatchStore>().Find(bill.Id));
        using (var again = await http.GetAsync($"/v1/responses/{bill.Id}")) await ReadAsync(again);
        var rows = await gateway.LedgerAsync(2);
        Assert.Equal([0L, row.CostNanos], rows.Select(r => r.CostNanos).Order());
    }

    [Fact]
    public async Task AStreamedBackgroundResponse_TheClientLeaves_IsBilledWhenTheResponseEnds_UnderTheIdTheStreamSent()
    {
        await using var gateway = await GatewayFixture.StartAsync(o =>
        {
            o.Batches.PollSeconds = 0.2;
            o.Budgets.People["fay"] = new BudgetOptions { LimitUsd = 10m, Period = "daily" };
        });
        using var http = gateway.Client(gateway.CreateKey("fay", "core"));
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/responses")
        {
            Content = Json("""{"model":"gpt-4o-mini","input":"Write the long report.","background":true,"stream":true}"""),
        };
        // Slow enough that the gateway sees the client gone long before the provider's stream ends (a short stream
        // could be read to its end first, and then its row is the stream's, correctly, but not what this test is about).
        request.Headers.Add("x-sim-chunk-delay-ms", "100");
        request.Headers.Add("X-TokenOps-Ticket", "FIN-7");
        string rowId, responseId;
        using (var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead))
        {
            rowId = response.Headers.GetValues("X-TokenOps-Request-Id").Single();
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
            string? line;
            do line = await reader.ReadLineAsync(); while (line is not null && !line.StartsWith("data:", StringComparison.Ordinal));
            responseId = JsonDocument.Parse(line![5..]).RootElement.GetProperty("response").GetProperty("id").GetString()!;
        } // the client leaves after the first event; the provider goes on

        var row = await SettledRowAsync(gateway);
        var bill = Assert.Single(gateway.Bill.Entries, e => e.Id == responseId);
        Assert.Equal((rowId, responseId, "FIN-7", LedgerOutcome.Ok, false), (row.Id, row.ProviderRequestId, row.Ticket, row.Outcome, row.Estimated));
        Assert.Equal(bill.Usage with { Tier = row.Usage.Tier }, row.Usage);
        Assert.Equal(gateway.BilledNanos([bill]), row.CostNanos);
        Assert.Single(await gateway.LedgerAsync(), r => r.Route == "openai.responses");
        // Settled as a tracked background response, not from the stream (the row is written just before the mark).
        var store = gateway.App.Services.GetRequiredService<TokenOps.Storage.IBatchStore>();
        Assert.NotNull(store.Find(responseId));
        for (var i = 0; i < 100 && store.Find(responseId)!.SettledAt is null; i++) await Task.Delay(50);
        Assert.NotNull(store.Find(responseId)!.SettledAt);
        var budget = Assert.Single(await gateway.SettledSnapshotsAsync());
        Assert.Equal((0m, row.CostNanos), (budget.Reserved, NanoUsd.FromUsd(budget.Spent)));
    }

    [Fact]
    public async Task AStreamedBackgroundResponse_ResumedWithTheSdk_AfterTheClientLeft_IsSettledFromTheResumedStream()
    {
        // The poller is kept out of it (an hour): the resumed stream's terminal event is what settles the response.
        await using var gateway = await GatewayFixture.StartAsync(o =>
        {
            o.Batches.PollSeconds = 3600;
            o.Budgets.People["gus"] = new BudgetOptions { LimitUsd = 10m, Period = "daily" };
        });
        var key = gateway.CreateKey("gus", "core");
        using var http = gateway.Client(key);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/responses")
        {
            Content = Json("""{"model":"gpt-4o-mini","input":"Write the long report.","background":true,"stream":true}"""),
        };
        request.Headers.Add("x-sim-chunk-delay-ms", "60");
        request.Headers.Add("x-sim-output-tokens", "30");
        var before = new StringBuilder();
        string responseId;
        int last;
        using (var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead))
        {
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
            var events = new List<JsonElement>();
            while (events.Count < 7 && await reader.ReadLineAsync() is { } line)
                if (line.StartsWith("data: ", StringComparison.Ordinal)) events.Add(JsonDocument.Parse(line[6..]).RootElement.Clone());
            responseId = events[0].GetProperty("response").GetProperty("id").GetString()!;
            last = events[^1].GetProperty("sequence_number").GetInt32();
            foreach (var e in events.Where(e => e.GetProperty("type").GetString() == "response.output_text.delta")) before.Append(e.GetProperty("delta").GetString());
        } // the client leaves; the response runs on at the provider

        using (var mallory = gateway.Client(gateway.CreateKey("mallory", "core")))
        using (var refused = await mallory.GetAsync($"/v1/responses/{responseId}?stream=true"))
            Assert.Equal(HttpStatusCode.NotFound, refused.StatusCode);

        var client = new ResponsesClient(new System.ClientModel.ApiKeyCredential(key), new ResponsesClientOptions
        {
            Endpoint = new Uri(gateway.BaseUrl, "v1"),
            RetryPolicy = new System.ClientModel.Primitives.ClientRetryPolicy(maxRetries: 0),
        });
        var sequence = new List<int>();
        ResponseResult? completed = null;
        await foreach (var update in await client.GetResponseStreamingAsync(new GetResponseOptions(responseId) { StartingAfter = last, StreamingEnabled = true }))
        {
            sequence.Add(update.SequenceNumber);
            if (update is StreamingResponseOutputTextDeltaUpdate delta) before.Append(delta.Delta);
            if (update is StreamingResponseCompletedUpdate done) completed = done.Response;
        }
        Assert.Equal(Enumerable.Range(last + 1, sequence.Count), sequence);
        Assert.NotNull(completed);
        Assert.Equal(completed!.GetOutputText(), before.ToString());

        // Settled before the terminal event reached the SDK: the row, the bill and the budget agree now, with no poll.
        var bill = Assert.Single(gateway.Bill.Entries, e => e.Id == responseId);
        var row = Assert.Single(await gateway.LedgerAsync(3), r => r.Route == "openai.responses");
        Assert.Equal((responseId, LedgerOutcome.Ok, false), (row.ProviderRequestId, row.Outcome, row.Estimated));
        Assert.Equal(bill.Usage.Output, row.Usage.Output);
        Assert.Equal(gateway.BilledNanos([bill]), row.CostNanos);
        Assert.NotNull(gateway.App.Services.GetRequiredService<TokenOps.Storage.IBatchStore>().Find(responseId)!.SettledAt);
        var budget = Assert.Single(await gateway.SettledSnapshotsAsync());
        Assert.Equal((0m, row.CostNanos), (budget.Reserved, NanoUsd.FromUsd(budget.Spent)));
        Assert.All((await gateway.LedgerAsync()).Where(r => r.Route == StoredResponseEndpoints.RouteName), r => Assert.Equal(0, r.CostNanos));
    }

    [Fact]
    public async Task AClientThatLeavesAResumedStream_LeavesAClientAbortedCallRow_AndTheResponseIsStillBilledOnce()
    {
        await using var gateway = await GatewayFixture.StartAsync(o => o.Batches.PollSeconds = 0.2);
        using var http = gateway.Client(gateway.CreateKey("hal", "core"));
        var id = await SubmitBackgroundAsync(http, latencyMs: 60_000);
        // A queued (non-streamed) background response cannot be streamed: the provider's 400 comes back as it is, on a $0 row.
        using (var refused = await http.GetAsync($"/v1/responses/{id}?stream=true"))
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        // A repeated parameter is refused here, not read one way by the gateway and another by the provider.
        using (var repeated = await http.GetAsync($"/v1/responses/{id}?stream=false&stream=true"))
        {
            Assert.Equal(HttpStatusCode.BadRequest, repeated.StatusCode);
            using var error = JsonDocument.Parse(await repeated.Content.ReadAsStringAsync());
            Assert.Equal("stream", error.RootElement.GetProperty("error").GetProperty("param").GetString());
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/responses")
        {
            Content = Json("""{"model":"gpt-4o-mini","input":"Write the long report.","background":true,"stream":true}"""),
        };
        request.Headers.Add("x-sim-chunk-delay-ms", "100");
        string responseId;
        using (var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead))
        {
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
            string? line;
            do line = await reader.ReadLineAsync(); while (line is not null && !line.StartsWith("data:", StringComparison.Ordinal));
            responseId = JsonDocument.Parse(line![5..]).RootElement.GetProperty("response").GetProperty("id").GetString()!;
        }
        using (var resumed = await http.GetAsync($"/v1/responses/{responseId}?stream=true&starting_after=0", HttpCompletionOption.ResponseHeadersRead))
        {
            Assert.Equal(HttpStatusCode.OK, resumed.StatusCode);
            using var reader = new StreamReader(await resumed.Content.ReadAsStreamAsync());
            Assert.StartsWith("event:", await reader.ReadLineAsync());
        } // and leaves this one too

        LedgerEntry? aborted = null;
        for (var i = 0; i < 100 && aborted is null; i++)
        {
            await Task.Delay(100);
            aborted = (await gateway.LedgerAsync()).FirstOrDefault(r => r.Route == StoredResponseEndpoints.RouteName && r.Outcome == LedgerOutcome.ClientAborted);
        }
        Assert.NotNull(aborted);
        Assert.Equal(0, aborted!.CostNanos);
        var rows = await gateway.LedgerAsync();
        Assert.Equal(2, rows.Count(r => r.Route == StoredResponseEndpoints.RouteName && r.Status == 400));
        // The response ran on at the provider and is billed once, when it ends (the poller sees it).
        var billed = rows.SingleOrDefault(r => r.Route == "openai.responses" && r.ProviderRequestId == responseId);
        for (var i = 0; i < 100 && billed is null; i++)
        {
            await Task.Delay(100);
            billed = (await gateway.LedgerAsync()).SingleOrDefault(r => r.Route == "openai.responses" && r.ProviderRequestId == responseId);
        }
        Assert.NotNull(billed);
        Assert.Equal(gateway.BilledNanos([Assert.Single(gateway.Bill.Entries, e => e.Id == responseId)]), billed!.CostNanos);
    }
}
