using System.ClientModel;
using System.Diagnostics;
using System.Net;
using System.Text.Json;
using OpenAI.Chat;

namespace TokenOps.Simulator.Tests;

/// <summary>x-sim-fault, the random fault injector and the latency knobs.</summary>
public sealed class FaultTests(SimulatorFixture fixture) : IClassFixture<SimulatorFixture>
{
    private const string Chat = """{"model":"gpt-4o","messages":[{"role":"user","content":"fault me"}]""";
    private const string ChatStream = Chat + ""","stream":true,"stream_options":{"include_usage":true}}""";
    private const string Responses = """{"model":"gpt-4o","input":"fault me","stream":true}""";
    private const string Messages = """{"model":"claude-sonnet-4-5","max_tokens":200,"stream":true,"messages":[{"role":"user","content":"fault me"}]}""";

    private SimulatorServer Server => fixture.Server;

    [Theory]
    [InlineData("/v1/chat/completions", Chat + "}", false, 500, "server_error")]
    [InlineData("/v1/chat/completions", ChatStream, false, 429, "requests")]
    [InlineData("/v1/responses", Responses, false, 400, "invalid_request_error")]
    [InlineData("/v1/embeddings", """{"model":"e","input":"x"}""", false, 503, "server_error")]
    [InlineData("/v1/messages", Messages, true, 529, "overloaded_error")]
    [InlineData("/v1/messages", Messages, true, 429, "rate_limit_error")]
    [InlineData("/v1/messages", Messages, true, 500, "api_error")]
    [InlineData("/v1/messages", Messages, true, 400, "invalid_request_error")]
    public async Task ErrorFault_ReturnsProtocolErrorWithStatus_AndBillsNothing(string path, string body, bool anthropic, int status, string type)
    {
        var before = Server.Bill.Count;
        var response = await Server.Http.SendAsync(Server.Post(path, body, anthropic, fault: $"error:{status}"));
        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType!.MediaType);
        var text = await response.Content.ReadAsStringAsync();
        if (anthropic)
        {
            WireFormatTests.AssertAnthropicError(text, type);
        }
        else
        {
            WireFormatTests.AssertOpenAIError(text, type);
        }

        if (status is 429 or 503 or 529)
        {
            Assert.Equal("1", response.Headers.GetValues("retry-after").Single());
        }

        Assert.Equal(before, Server.Bill.Count);
    }

    [Fact]
    public async Task UnknownFault_Is400()
    {
        var response = await Server.Http.SendAsync(Server.Post("/v1/chat/completions", Chat + "}", fault: "explode"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        response = await Server.Http.SendAsync(Server.Post("/v1/messages", Messages, anthropic: true, fault: "error:200"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Theory]
    [InlineData("/v1/chat/completions", ChatStream, false)]
    [InlineData("/v1/chat/completions", Chat + "}", false)]
    [InlineData("/v1/responses", Responses, false)]
    [InlineData("/v1/messages", Messages, true)]
    [InlineData("/v1/embeddings", """{"model":"e","input":"x"}""", false)]
    public async Task Midstream_SendsSomeThenAborts_BilledIncomplete(string path, string body, bool anthropic)
    {
        var request = Server.Post(path, body, anthropic, fault: "midstream");
        using var response = await Server.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var id = response.Headers.TryGetValues("x-request-id", out var ids) ? ids.Single() : null;
        await using var stream = await response.Content.ReadAsStreamAsync();
        var received = new MemoryStream();
        var failure = await Record.ExceptionAsync(() => stream.CopyToAsync(received));
        Assert.True(failure is IOException or HttpRequestException, $"expected a broken connection, got {failure?.GetType().Name ?? "none"}");
        Assert.True(received.Length > 0, "some bytes arrive before the abort");

        var text = System.Text.Encoding.UTF8.GetString(received.ToArray());
        Assert.DoesNotContain("[DONE]", text);
        Assert.DoesNotContain("message_stop", text);
        Assert.DoesNotContain("response.completed", text);
        var entry = Server.Bill.Entries.Single(e => e.Fault == "midstream" && (text.Contains(e.Id) || e.Id == id));
        Assert.False(entry.Completed);
        Assert.True(entry.Usage.TotalInput > 0);
    }

    [Fact]
    public async Task Midstream_ThroughSdkStreaming_Throws_AfterSomeUpdates()
    {
        var client = Server.Chat("gpt-4o", "x-sim-fault", "midstream");
        var updates = 0;
        var failure = await Record.ExceptionAsync(async () =>
        {
            await foreach (var _ in client.CompleteChatStreamingAsync([new UserChatMessage("fault me")]))
            {
                updates++;
            }
        });
        Assert.NotNull(failure);
        Assert.True(updates > 0, "updates arrive before the abort");
    }

    [Fact]
    public async Task ErrorFault_ThroughOpenAISdk()
    {
        var error = await Assert.ThrowsAsync<ClientResultException>(() =>
            Server.Chat("gpt-4o", "x-sim-fault", "error:429").CompleteChatAsync([new UserChatMessage("hi")]));
        Assert.Equal(429, error.Status);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task NoUsage_ChatOmitsUsage_ButBills(bool stream)
    {
        var body = stream ? ChatStream : Chat + "}";
        var response = await Server.Http.SendAsync(Server.Post("/v1/chat/completions", body, fault: "nousage"));
        var text = await response.Content.ReadAsStringAsync();
        string id;
        if (stream)
        {
            var frames = SseFrame.Parse(text);
            Assert.Equal("[DONE]", frames[^1].Data);
            var chunks = frames[..^1].Select(f => f.Json).ToList();
            Assert.All(chunks, c => Assert.Equal(JsonValueKind.Null, c.GetProperty("usage").ValueKind));
            Assert.All(chunks, c => Assert.Equal(1, c.GetProperty("choices").GetArrayLength()));
            id = chunks[0].GetProperty("id").GetString()!;
        }
        else
        {
            var json = JsonDocument.Parse(text).RootElement;
            Assert.False(json.TryGetProperty("usage", out _));
            id = json.GetProperty("id").GetString()!;
        }

        var entry = Server.Bill.Find(id)!;
        Assert.True(entry.Completed);
        Assert.Equal("nousage", entry.Fault);
        Assert.True(entry.Usage.Output > 0);
    }

    [Fact]
    public async Task NoUsage_ResponsesAndMessages()
    {
        var (_, frames) = await Server.StreamAsync(Server.Post("/v1/responses", Responses, fault: "nousage"));
        Assert.Equal("response.completed", frames[^1].Event);
        Assert.Equal(JsonValueKind.Null, frames[^1].Json.GetProperty("response").GetProperty("usage").ValueKind);

        (_, frames) = await Server.StreamAsync(Server.Post("/v1/messages", Messages, anthropic: true, fault: "nousage"));
        Assert.Equal("message_stop", frames[^1].Event);
        Assert.False(frames[0].Json.GetProperty("message").TryGetProperty("usage", out _));
        Assert.False(frames[^2].Json.TryGetProperty("usage", out _));
        var id = frames[0].Json.GetProperty("message").GetProperty("id").GetString()!;
        Assert.True(Server.Bill.Find(id)!.Completed);
    }

    [Theory]
    [InlineData("/v1/chat/completions", ChatStream, false, "[DONE]")]
    [InlineData("/v1/responses", Responses, false, "response.completed")]
    [InlineData("/v1/messages", Messages, true, "message_stop")]
    public async Task Malformed_EmitsOneInvalidJsonFrame_ThenContinues(string path, string body, bool anthropic, string end)
    {
        var (_, frames) = await Server.StreamAsync(Server.Post(path, body, anthropic, fault: "malformed"));
        var invalid = frames.Where(f => f.Data != "[DONE]" && !IsJson(f.Data)).ToList();
        Assert.Single(invalid);
        Assert.True(frames[^1].Data == end || frames[^1].Event == end);
        Assert.True(frames.IndexOf(invalid[0]) < frames.Count - 3);
    }

    [Fact]
    public async Task Malformed_NonStreamedBodyIsInvalidJson()
    {
        var response = await Server.Http.SendAsync(Server.Post("/v1/messages",
            """{"model":"claude-x","max_tokens":50,"messages":[{"role":"user","content":"hi"}]}""", anthropic: true, fault: "malformed"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.False(IsJson(await response.Content.ReadAsStringAsync()));
    }

    [Theory]
    [InlineData("/v1/chat/completions", ChatStream, false)]
    [InlineData("/v1/chat/completions", Chat + "}", false)]
    [InlineData("/v1/messages", Messages, true)]
    [InlineData("/v1/responses", Responses, false)]
    public async Task Hang_WaitsUntilClientAborts_BilledIncomplete(string path, string body, bool anthropic)
    {
        var before = Server.Bill.Entries.Count(e => e.Fault == "hang");
        var streaming = body.Contains("\"stream\":true");
        using var cts = new CancellationTokenSource();
        var stopwatch = Stopwatch.StartNew();
        var received = 0;
        var failure = await Record.ExceptionAsync(async () =>
        {
            cts.CancelAfter(TimeSpan.FromMilliseconds(streaming ? 5000 : 300));
            using var response = await Server.Http.SendAsync(Server.Post(path, body, anthropic, fault: "hang"), HttpCompletionOption.ResponseHeadersRead, cts.Token);

            // Streams send their opening events, then stall; a non-streamed response never sends headers.
            await using var stream = await response.Content.ReadAsStreamAsync(cts.Token);
            var buffer = new byte[64 * 1024];
            received = await stream.ReadAsync(buffer, cts.Token);
            cts.CancelAfter(TimeSpan.FromMilliseconds(300));
            while (true)
            {
                var n = await stream.ReadAsync(buffer, cts.Token);
                Assert.True(n > 0, "the stream must not end");
            }
        });
        Assert.IsAssignableFrom<OperationCanceledException>(failure);
        Assert.True(stopwatch.ElapsedMilliseconds >= 290);
        Assert.True(received > 0 || !streaming);

        await WaitForAsync(() => Server.Bill.Entries.Count(e => e.Fault == "hang") > before);
        var entry = Server.Bill.Entries.Where(e => e.Fault == "hang").Skip(before).Single();
        Assert.False(entry.Completed);
    }

    private static async Task WaitForAsync(Func<bool> condition)
    {
        for (var i = 0; i < 100 && !condition(); i++)
        {
            await Task.Delay(20);
        }

        Assert.True(condition());
    }

    [Fact]
    public async Task LatencyHeaders_DelayResponseAndFirstToken()
    {
        var stopwatch = Stopwatch.StartNew();
        var request = Server.Post("/v1/chat/completions", Chat + "}");
        request.Headers.Add("x-sim-latency-ms", "150");
        (await Server.Http.SendAsync(request)).EnsureSuccessStatusCode();
        Assert.True(stopwatch.ElapsedMilliseconds >= 145, $"non-streamed latency {stopwatch.ElapsedMilliseconds} ms");

        stopwatch.Restart();
        request = Server.Post("/v1/messages", Messages, anthropic: true);
        request.Headers.Add("x-sim-ttft-ms", "120");
        using var response = await Server.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.True(stopwatch.ElapsedMilliseconds >= 115, $"ttft {stopwatch.ElapsedMilliseconds} ms");
        await response.Content.ReadAsStringAsync();

        stopwatch.Restart();
        request = Server.Post("/v1/chat/completions", Chat + ""","max_tokens":6,"stream":true}""");
        request.Headers.Add("x-sim-chunk-delay-ms", "30");
        await (await Server.Http.SendAsync(request)).Content.ReadAsStringAsync();
        Assert.True(stopwatch.ElapsedMilliseconds >= 145, $"5 gaps x 30 ms, took {stopwatch.ElapsedMilliseconds} ms");
    }

    [Fact]
    public async Task OutputTokensHeader_SetsTheAnswerLength_ForChatAndMessages()
    {
        var request = Server.Post("/v1/chat/completions", Chat + "}");
        request.Headers.Add("x-sim-output-tokens", "700");
        using var chat = JsonDocument.Parse(await (await Server.Http.SendAsync(request)).Content.ReadAsStringAsync());
        Assert.Equal(700, chat.RootElement.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
        var text = chat.RootElement.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString()!;
        Assert.Equal(700, text.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length);

        request = Server.Post("/v1/messages", Messages.Replace(",\"stream\":true", ""), anthropic: true);
        request.Headers.Add("x-sim-output-tokens", "333");
        using var messages = JsonDocument.Parse(await (await Server.Http.SendAsync(request)).Content.ReadAsStringAsync());
        Assert.Equal(333, messages.RootElement.GetProperty("usage").GetProperty("output_tokens").GetInt32());

        // Out of range: the natural length (20..200) stands.
        request = Server.Post("/v1/chat/completions", Chat + "}");
        request.Headers.Add("x-sim-output-tokens", "0");
        using var natural = JsonDocument.Parse(await (await Server.Http.SendAsync(request)).Content.ReadAsStringAsync());
        Assert.InRange(natural.RootElement.GetProperty("usage").GetProperty("completion_tokens").GetInt32(), 20, 200);
    }

    [Fact]
    public async Task OptionsLatency_AppliesByDefault()
    {
        // Wide margins: the override must be far below the default even on a loaded 2-core machine.
        await using var slow = await SimulatorServer.StartAsync(new SimulatorOptions { LatencyMs = 1500, InterChunkDelayMs = 10 });
        var stopwatch = Stopwatch.StartNew();
        (await slow.Http.SendAsync(slow.Post("/v1/embeddings", """{"model":"e","input":"x"}"""))).EnsureSuccessStatusCode();
        Assert.True(stopwatch.ElapsedMilliseconds >= 1495);

        stopwatch.Restart();
        var request = slow.Post("/v1/embeddings", """{"model":"e","input":"x"}""");
        request.Headers.Add("x-sim-latency-ms", "0");
        (await slow.Http.SendAsync(request)).EnsureSuccessStatusCode();
        Assert.True(stopwatch.ElapsedMilliseconds < 1000, $"override to 0 took {stopwatch.ElapsedMilliseconds} ms");
    }

    [Fact]
    public async Task RandomFaults_AreSeededAndRepeatable()
    {
        async Task<List<int>> RunAsync()
        {
            await using var server = await SimulatorServer.StartAsync(new SimulatorOptions
            {
                FaultRate = 0.5,
                Seed = 1234,
                RandomFaults = ["error:500", "error:429"],
            });
            var statuses = new List<int>();
            for (var i = 0; i < 24; i++)
            {
                statuses.Add((int)(await server.Http.SendAsync(server.Post("/v1/chat/completions", Chat + "}"))).StatusCode);
            }

            Assert.Equal(statuses.Count(s => s == 200), server.Bill.Count);
            return statuses;
        }

        var first = await RunAsync();
        var second = await RunAsync();
        Assert.Equal(first, second);
        Assert.Contains(200, first);
        Assert.Contains(500, first);
        Assert.Contains(429, first);

        await using var always = await SimulatorServer.StartAsync(new SimulatorOptions { FaultRate = 1, RandomFaults = ["nousage"] });
        var json = JsonDocument.Parse(await (await always.Http.SendAsync(always.Post("/v1/chat/completions", Chat + "}"))).Content.ReadAsStringAsync()).RootElement;
        Assert.False(json.TryGetProperty("usage", out _));

        // An explicit header wins over the random injector.
        var explicitOk = always.Post("/v1/chat/completions", Chat + "}", fault: "error:418");
        Assert.Equal(418, (int)(await always.Http.SendAsync(explicitOk)).StatusCode);
    }

    [Fact]
    public void InvalidOptions_AreRejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => SimulatorApp.Build(new SimulatorOptions { FaultRate = 2 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => SimulatorApp.Build(new SimulatorOptions { LatencyMs = -1 }));
        Assert.Throws<ArgumentException>(() => SimulatorApp.Build(new SimulatorOptions { RandomFaults = ["boom"] }));
    }

    private static bool IsJson(string text)
    {
        try
        {
            using var _ = JsonDocument.Parse(text);
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
