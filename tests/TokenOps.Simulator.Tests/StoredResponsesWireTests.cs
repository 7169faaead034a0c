using System.Net;
using System.Text.Json;

namespace TokenOps.Simulator.Tests;

/// <summary>Stored responses and background mode in the simulator: GET, DELETE and cancel as the Responses API answers them.</summary>
public sealed class StoredResponsesWireTests(SimulatorFixture fixture) : IClassFixture<SimulatorFixture>
{
    private SimulatorServer Server => fixture.Server;

    private async Task<JsonElement> SendAsync(HttpMethod method, string path, HttpStatusCode expected = HttpStatusCode.OK)
    {
        var request = Server.Post(path, "{}");
        request.Method = method;
        if (method != HttpMethod.Post) request.Content = null;
        var response = await Server.Http.SendAsync(request);
        Assert.Equal(expected, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
    }

    private HttpRequestMessage Get(string path)
    {
        var request = Server.Post(path, "{}");
        (request.Method, request.Content) = (HttpMethod.Get, null);
        return request;
    }

    [Fact]
    public async Task AResponse_IsStored_ReadBack_AndDeleted_UnlessStoreIsFalse()
    {
        var created = await Server.Http.SendAsync(Server.Post("/v1/responses", """{"model":"gpt-4o-mini","input":"hi"}"""));
        var id = JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!;
        var read = await SendAsync(HttpMethod.Get, $"/v1/responses/{id}");
        Assert.Equal(("completed", id), (read.GetProperty("status").GetString(), read.GetProperty("id").GetString()));
        var deleted = await SendAsync(HttpMethod.Delete, $"/v1/responses/{id}");
        Assert.Equal("response.deleted", deleted.GetProperty("object").GetString());
        await SendAsync(HttpMethod.Get, $"/v1/responses/{id}", HttpStatusCode.NotFound);

        var unstored = await Server.Http.SendAsync(Server.Post("/v1/responses", """{"model":"gpt-4o-mini","input":"hi","store":false}"""));
        var other = JsonDocument.Parse(await unstored.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!;
        await SendAsync(HttpMethod.Get, $"/v1/responses/{other}", HttpStatusCode.NotFound);
        // An unstored response is unknown to every stored-response call.
        await SendAsync(HttpMethod.Post, $"/v1/responses/{other}/cancel", HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task ABackgroundResponse_IsQueued_BilledWhenItFinishes_OrNeverIfCancelledFirst()
    {
        var request = Server.Post("/v1/responses", """{"model":"gpt-4o-mini","input":"hi","background":true}""");
        request.Headers.Add("x-sim-latency-ms", "150");
        var queued = JsonDocument.Parse(await (await Server.Http.SendAsync(request)).Content.ReadAsStringAsync()).RootElement.Clone();
        var id = queued.GetProperty("id").GetString()!;
        Assert.Equal(("queued", JsonValueKind.Null), (queued.GetProperty("status").GetString(), queued.GetProperty("usage").ValueKind));
        Assert.Null(Server.Bill.Find(id));
        await Task.Delay(300);
        var done = await SendAsync(HttpMethod.Get, $"/v1/responses/{id}");
        Assert.Equal("completed", done.GetProperty("status").GetString());
        Assert.Equal(done.GetProperty("usage").GetProperty("output_tokens").GetInt64(), Server.Bill.Find(id)!.Usage.Output);

        var slow = Server.Post("/v1/responses", """{"model":"gpt-4o-mini","input":"hi","background":true}""");
        slow.Headers.Add("x-sim-latency-ms", "60000");
        var second = JsonDocument.Parse(await (await Server.Http.SendAsync(slow)).Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!;
        var cancelled = await SendAsync(HttpMethod.Post, $"/v1/responses/{second}/cancel");
        Assert.Equal("cancelled", cancelled.GetProperty("status").GetString());
        Assert.Null(Server.Bill.Find(second));
    }

    [Fact]
    public async Task AStreamedBackgroundResponse_IsBilledOnceWhenTheStreamEnds_OrWhenTheJobDoesIfTheClientLeaves()
    {
        var request = Server.Post("/v1/responses", """{"model":"gpt-4o-mini","input":"hi","background":true,"stream":true}""");
        var response = await Server.Http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.Contains("event: response.completed", body);
        var id = System.Text.RegularExpressions.Regex.Match(body, "\"id\":\"(resp_[^\"]+)\"").Groups[1].Value;
        var bill = Server.Bill.Find(id);
        Assert.NotNull(bill);
        Assert.True(bill!.Streamed);
        var stored = await SendAsync(HttpMethod.Get, $"/v1/responses/{id}");
        Assert.Equal(("completed", bill.Usage.Output), (stored.GetProperty("status").GetString(), stored.GetProperty("usage").GetProperty("output_tokens").GetInt64()));

        // A client that reads the first event and leaves: the job runs on and is billed once, when it finishes.
        var slow = Server.Post("/v1/responses", """{"model":"gpt-4o-mini","input":"hi","background":true,"stream":true}""");
        slow.Headers.Add("x-sim-chunk-delay-ms", "20");
        string left;
        using (var started = await Server.Http.SendAsync(slow, HttpCompletionOption.ResponseHeadersRead))
        {
            using var reader = new StreamReader(await started.Content.ReadAsStreamAsync());
            string? line;
            do line = await reader.ReadLineAsync(); while (line is not null && !line.StartsWith("data:", StringComparison.Ordinal));
            left = JsonDocument.Parse(line![5..]).RootElement.GetProperty("response").GetProperty("id").GetString()!;
        }
        Assert.Null(Server.Bill.Find(left));
        var finished = await SendAsync(HttpMethod.Get, $"/v1/responses/{left}");
        for (var i = 0; i < 200 && finished.GetProperty("status").GetString() == "queued"; i++)
        {
            await Task.Delay(50);
            finished = await SendAsync(HttpMethod.Get, $"/v1/responses/{left}");
        }
        Assert.Equal("completed", finished.GetProperty("status").GetString());
        Assert.Equal(finished.GetProperty("usage").GetProperty("output_tokens").GetInt64(), Server.Bill.Find(left)!.Usage.Output);
        Assert.Single(Server.Bill.Entries, e => e.Id == left);
    }

    [Fact]
    public async Task AStreamedBackgroundResponse_CanBeResumedAfterASequenceNumber_AndIsBilledOnce()
    {
        var request = Server.Post("/v1/responses", """{"model":"gpt-4o-mini","input":"hi","background":true,"stream":true}""");
        request.Headers.Add("x-sim-chunk-delay-ms", "20");
        request.Headers.Add("x-sim-output-tokens", "40");
        var seen = new List<JsonElement>();
        using (var started = await Server.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead))
        {
            using var reader = new StreamReader(await started.Content.ReadAsStreamAsync());
            while (seen.Count < 8 && await reader.ReadLineAsync() is { } line)
                if (line.StartsWith("data: ", StringComparison.Ordinal)) seen.Add(JsonDocument.Parse(line[6..]).RootElement.Clone());
        }
        var id = seen[0].GetProperty("response").GetProperty("id").GetString()!;
        var last = seen[^1].GetProperty("sequence_number").GetInt32();

        var resumed = await Server.Http.SendAsync(Get($"/v1/responses/{id}?stream=true&starting_after={last}"));
        Assert.Equal(HttpStatusCode.OK, resumed.StatusCode);
        Assert.StartsWith("text/event-stream", resumed.Content.Headers.ContentType!.ToString());
        var rest = (await resumed.Content.ReadAsStringAsync()).Split('\n')
            .Where(l => l.StartsWith("data: ", StringComparison.Ordinal)).Select(l => JsonDocument.Parse(l[6..]).RootElement.Clone()).ToList();
        Assert.Equal(Enumerable.Range(last + 1, rest.Count), rest.Select(e => e.GetProperty("sequence_number").GetInt32()));
        Assert.Equal("response.completed", rest[^1].GetProperty("type").GetString());
        var text = string.Concat(seen.Concat(rest).Where(e => e.GetProperty("type").GetString() == "response.output_text.delta").Select(e => e.GetProperty("delta").GetString()));
        var stored = await SendAsync(HttpMethod.Get, $"/v1/responses/{id}");
        Assert.Equal(stored.GetProperty("output")[0].GetProperty("content")[0].GetProperty("text").GetString(), text);
        Assert.Equal(stored.GetProperty("usage").GetProperty("output_tokens").GetInt64(), rest[^1].GetProperty("response").GetProperty("usage").GetProperty("output_tokens").GetInt64());
        Assert.Single(Server.Bill.Entries, e => e.Id == id);

        // Played again from the start, after the end: every event at once, still billed once.
        var again = await (await Server.Http.SendAsync(Get($"/v1/responses/{id}?stream=true"))).Content.ReadAsStringAsync();
        Assert.Equal(last + 1 + rest.Count, again.Split('\n').Count(l => l.StartsWith("data: ", StringComparison.Ordinal)));
        Assert.Single(Server.Bill.Entries, e => e.Id == id);
        await SendAsync(HttpMethod.Get, $"/v1/responses/{id}?stream=true&starting_after=x", HttpStatusCode.BadRequest);

        var plain = await Server.Http.SendAsync(Server.Post("/v1/responses", """{"model":"gpt-4o-mini","input":"hi"}"""));
        var plainId = JsonDocument.Parse(await plain.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!;
        var refused = await SendAsync(HttpMethod.Get, $"/v1/responses/{plainId}?stream=true", HttpStatusCode.BadRequest);
        Assert.Equal("stream", refused.GetProperty("error").GetProperty("param").GetString());
    }
}
