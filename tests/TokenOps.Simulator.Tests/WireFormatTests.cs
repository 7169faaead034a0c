using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using OpenAI.Chat;
using OpenAI.Embeddings;

namespace TokenOps.Simulator.Tests;

/// <summary>Exact wire shapes checked with a raw HttpClient: SSE framing, usage chunks, errors, auth, models, bill.</summary>
public sealed class WireFormatTests(SimulatorFixture fixture) : IClassFixture<SimulatorFixture>
{
    private const string ChatBody = """{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hello there"}]""";

    private SimulatorServer Server => fixture.Server;

    [Fact]
    public async Task ChatStream_WithIncludeUsage_EveryChunkHasNullUsage_ThenUsageChunk_ThenDone()
    {
        var (response, frames) = await Server.StreamAsync(Server.Post("/v1/chat/completions",
            ChatBody + ""","stream":true,"stream_options":{"include_usage":true}}"""));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType!.MediaType);
        Assert.All(frames, f => Assert.Null(f.Event));
        Assert.Equal("[DONE]", frames[^1].Data);
        var chunks = frames[..^1].Select(f => f.Json).ToList();
        Assert.All(chunks, c => Assert.Equal("chat.completion.chunk", c.GetProperty("object").GetString()));
        Assert.All(chunks, c => Assert.Equal(chunks[0].GetProperty("id").GetString(), c.GetProperty("id").GetString()));

        Assert.Equal("assistant", chunks[0].GetProperty("choices")[0].GetProperty("delta").GetProperty("role").GetString());
        var usageChunk = chunks[^1];
        Assert.Equal(0, usageChunk.GetProperty("choices").GetArrayLength());
        var usage = usageChunk.GetProperty("usage");
        foreach (var chunk in chunks[..^1])
        {
            Assert.Equal(JsonValueKind.Null, chunk.GetProperty("usage").ValueKind);
        }

        var finish = chunks[^2].GetProperty("choices")[0];
        Assert.Equal("stop", finish.GetProperty("finish_reason").GetString());
        Assert.Empty(usageChunk.GetProperty("choices").EnumerateArray());
        var contentChunks = chunks.Skip(1).Take(chunks.Count - 3).ToList();
        Assert.Equal(usage.GetProperty("completion_tokens").GetInt32(), contentChunks.Count);
        Assert.All(contentChunks, c => Assert.Equal(JsonValueKind.Null, c.GetProperty("choices")[0].GetProperty("finish_reason").ValueKind));

        Assert.Equal(
            usage.GetProperty("prompt_tokens").GetInt32() + usage.GetProperty("completion_tokens").GetInt32(),
            usage.GetProperty("total_tokens").GetInt32());
        Assert.Equal(0, usage.GetProperty("prompt_tokens_details").GetProperty("cached_tokens").GetInt32());
        Assert.Equal(0, usage.GetProperty("completion_tokens_details").GetProperty("reasoning_tokens").GetInt32());
        var entry = Server.Bill.Find(chunks[0].GetProperty("id").GetString()!)!;
        Assert.Equal(usage.GetProperty("prompt_tokens").GetInt64(), entry.Usage.TotalInput);
        Assert.Equal(usage.GetProperty("completion_tokens").GetInt64(), entry.Usage.Output);
    }

    [Fact]
    public async Task ChatStream_WithoutIncludeUsage_HasNoUsageAnywhere_ButIsStillBilled()
    {
        var (_, frames) = await Server.StreamAsync(Server.Post("/v1/chat/completions", ChatBody + ""","stream":true}"""));

        Assert.Equal("[DONE]", frames[^1].Data);
        var chunks = frames[..^1].Select(f => f.Json).ToList();
        Assert.All(chunks, c => Assert.False(c.TryGetProperty("usage", out _)));
        Assert.All(chunks, c => Assert.Equal(1, c.GetProperty("choices").GetArrayLength()));
        var entry = Assert.IsType<BillEntry>(Server.Bill.Find(chunks[0].GetProperty("id").GetString()!));
        Assert.True(entry.Streamed && entry.Completed);
        Assert.Equal(chunks.Count - 2, entry.Usage.Output); // role chunk + content words + finish chunk
    }

    [Fact]
    public async Task ChatNonStream_HasExactShape()
    {
        var response = await Server.Http.SendAsync(Server.Post("/v1/chat/completions", ChatBody + "}"));
        Assert.Equal("application/json", response.Content.Headers.ContentType!.MediaType);
        Assert.True(response.Headers.Contains("x-request-id"));
        var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(
            ["id", "object", "created", "model", "choices", "usage", "service_tier", "system_fingerprint"],
            json.EnumerateObject().Select(p => p.Name));
        Assert.Equal("chat.completion", json.GetProperty("object").GetString());
        Assert.Equal("default", json.GetProperty("service_tier").GetString());
        var choice = json.GetProperty("choices")[0];
        Assert.Equal(JsonValueKind.Null, choice.GetProperty("logprobs").ValueKind);
        Assert.Equal(JsonValueKind.Null, choice.GetProperty("message").GetProperty("refusal").ValueKind);
        var usage = json.GetProperty("usage");
        Assert.Equal(["cached_tokens", "audio_tokens"], usage.GetProperty("prompt_tokens_details").EnumerateObject().Select(p => p.Name));
        Assert.Equal(
            ["reasoning_tokens", "audio_tokens", "accepted_prediction_tokens", "rejected_prediction_tokens"],
            usage.GetProperty("completion_tokens_details").EnumerateObject().Select(p => p.Name));
    }

    [Fact]
    public async Task SameRequest_SameUsageAndText()
    {
        var body = """{"model":"gpt-5","max_completion_tokens":150,"messages":[{"role":"user","content":"déterministe ✓"}]}""";
        var a = JsonDocument.Parse(await (await Server.Http.SendAsync(Server.Post("/v1/chat/completions", body))).Content.ReadAsStringAsync()).RootElement;
        var b = JsonDocument.Parse(await (await Server.Http.SendAsync(Server.Post("/v1/chat/completions", body))).Content.ReadAsStringAsync()).RootElement;
        Assert.NotEqual(a.GetProperty("id").GetString(), b.GetProperty("id").GetString());
        Assert.Equal(a.GetProperty("usage").GetRawText(), b.GetProperty("usage").GetRawText());
        Assert.Equal(
            a.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString(),
            b.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString());

        // Escaping does not change the count: the same text sent with \u escapes.
        var escaped = """{"model":"gpt-5","max_completion_tokens":150,"messages":[{"role":"user","content":"d\u00e9terministe \u2713"}]}""";
        var c = JsonDocument.Parse(await (await Server.Http.SendAsync(Server.Post("/v1/chat/completions", escaped))).Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(a.GetProperty("usage").GetRawText(), c.GetProperty("usage").GetRawText());
    }

    [Fact]
    public async Task ResponsesStream_FramesCarryTypeAndSequence()
    {
        var (response, frames) = await Server.StreamAsync(Server.Post("/v1/responses",
            """{"model":"gpt-4.1","input":[{"role":"user","content":[{"type":"input_text","text":"hi"}]}],"stream":true}"""));

        Assert.Equal("text/event-stream", response.Content.Headers.ContentType!.MediaType);
        var types = frames.Select(f => f.Event).ToList();
        Assert.Equal(
            ["response.created", "response.in_progress", "response.output_item.added", "response.content_part.added"],
            types.Take(4));
        Assert.Equal(
            ["response.output_text.done", "response.content_part.done", "response.output_item.done", "response.completed"],
            types.TakeLast(4));
        Assert.All(types.Skip(4).SkipLast(4), t => Assert.Equal("response.output_text.delta", t));
        for (var i = 0; i < frames.Count; i++)
        {
            Assert.Equal(frames[i].Event, frames[i].Json.GetProperty("type").GetString());
            Assert.Equal(i, frames[i].Json.GetProperty("sequence_number").GetInt32());
        }

        Assert.Equal(JsonValueKind.Null, frames[0].Json.GetProperty("response").GetProperty("usage").ValueKind);
        var final = frames[^1].Json.GetProperty("response");
        Assert.Equal("completed", final.GetProperty("status").GetString());
        var usage = final.GetProperty("usage");
        Assert.Equal(["input_tokens", "input_tokens_details", "output_tokens", "output_tokens_details", "total_tokens"],
            usage.EnumerateObject().Select(p => p.Name));
        Assert.Equal(frames.Count - 8, usage.GetProperty("output_tokens").GetInt32());
    }

    [Fact]
    public async Task AnthropicStream_EventSequenceAndCumulativeUsage()
    {
        var (response, frames) = await Server.StreamAsync(Server.Post("/v1/messages",
            """{"model":"claude-sonnet-4-5","max_tokens":1000,"stream":true,"messages":[{"role":"user","content":[{"type":"text","text":"hi"}]}]}""",
            anthropic: true));

        Assert.Equal("text/event-stream", response.Content.Headers.ContentType!.MediaType);
        Assert.True(response.Headers.Contains("request-id"));
        var events = frames.Select(f => f.Event).ToList();
        Assert.Equal(["message_start", "content_block_start", "ping"], events.Take(3));
        Assert.Equal(["content_block_stop", "message_delta", "message_stop"], events.TakeLast(3));
        Assert.All(events.Skip(3).SkipLast(3), e => Assert.Equal("content_block_delta", e));
        Assert.All(frames, f => Assert.Equal(f.Event, f.Json.GetProperty("type").GetString()));

        var start = frames[0].Json.GetProperty("message");
        Assert.Equal(1, start.GetProperty("usage").GetProperty("output_tokens").GetInt32());
        var delta = frames[^2].Json;
        Assert.Equal("end_turn", delta.GetProperty("delta").GetProperty("stop_reason").GetString());
        var usage = delta.GetProperty("usage");
        Assert.Equal(events.Count - 6, usage.GetProperty("output_tokens").GetInt32());
        Assert.Equal(start.GetProperty("usage").GetProperty("input_tokens").GetInt32(), usage.GetProperty("input_tokens").GetInt32());
        Assert.Equal("text_delta", frames[3].Json.GetProperty("delta").GetProperty("type").GetString());
    }

    [Fact]
    public async Task AnthropicNonStream_HasExactShape()
    {
        var response = await Server.Http.SendAsync(Server.Post("/v1/messages",
            """{"model":"claude-haiku-4-5","max_tokens":100,"messages":[{"role":"user","content":"hi"}]}""", anthropic: true));
        var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(["id", "type", "role", "model", "content", "stop_reason", "stop_sequence", "usage"],
            json.EnumerateObject().Select(p => p.Name));
        Assert.Equal(
            ["input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens", "cache_creation", "output_tokens", "service_tier"],
            json.GetProperty("usage").EnumerateObject().Select(p => p.Name));
        Assert.Equal("standard", json.GetProperty("usage").GetProperty("service_tier").GetString());
    }

    [Fact]
    public async Task Embeddings_FloatAndBase64Agree()
    {
        var floats = JsonDocument.Parse(await (await Server.Http.SendAsync(Server.Post("/v1/embeddings",
            """{"model":"text-embedding-3-small","input":"same text"}"""))).Content.ReadAsStringAsync()).RootElement;
        var base64 = JsonDocument.Parse(await (await Server.Http.SendAsync(Server.Post("/v1/embeddings",
            """{"model":"text-embedding-3-small","input":["same text"],"encoding_format":"base64"}"""))).Content.ReadAsStringAsync()).RootElement;

        var vector = floats.GetProperty("data")[0].GetProperty("embedding").EnumerateArray().Select(e => e.GetSingle()).ToArray();
        var bytes = Convert.FromBase64String(base64.GetProperty("data")[0].GetProperty("embedding").GetString()!);
        var decoded = Enumerable.Range(0, bytes.Length / 4).Select(i => BitConverter.ToSingle(bytes, i * 4)).ToArray();
        Assert.Equal(8, vector.Length);
        Assert.Equal(vector, decoded);
        Assert.Equal("list", floats.GetProperty("object").GetString());
        Assert.Equal(floats.GetProperty("usage").GetRawText(), base64.GetProperty("usage").GetRawText());
    }

    [Theory]
    [InlineData("/v1/chat/completions")]
    [InlineData("/v1/responses")]
    [InlineData("/v1/embeddings")]
    public async Task OpenAI_MissingAuth_Is401InOpenAIShape(string path)
    {
        var request = Server.Post(path, ChatBody + "}");
        request.Headers.Authorization = null;
        var response = await Server.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        AssertOpenAIError(await response.Content.ReadAsStringAsync(), "invalid_request_error");
    }

    [Fact]
    public async Task Anthropic_MissingKey_Is401_MissingVersion_Is400()
    {
        var noKey = Server.Post("/v1/messages", "{}", anthropic: true);
        noKey.Headers.Remove("x-api-key");
        var response = await Server.Http.SendAsync(noKey);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        AssertAnthropicError(await response.Content.ReadAsStringAsync(), "authentication_error");

        var noVersion = Server.Post("/v1/messages", "{}", anthropic: true);
        noVersion.Headers.Remove("anthropic-version");
        response = await Server.Http.SendAsync(noVersion);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        AssertAnthropicError(await response.Content.ReadAsStringAsync(), "invalid_request_error");

        var bearer = Server.Post("/v1/messages", """{"model":"claude-x","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}""", anthropic: true);
        bearer.Headers.Remove("x-api-key");
        bearer.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "k");
        Assert.Equal(HttpStatusCode.OK, (await Server.Http.SendAsync(bearer)).StatusCode);
    }

    [Fact]
    public async Task WrongKey_Is401_WhenRequiredApiKeySet()
    {
        await using var locked = await SimulatorServer.StartAsync(new SimulatorOptions { RequiredApiKey = SimulatorServer.ApiKey });
        Assert.Equal(HttpStatusCode.OK, (await locked.Http.SendAsync(locked.Post("/v1/chat/completions", ChatBody + "}"))).StatusCode);

        var wrong = locked.Post("/v1/chat/completions", ChatBody + "}");
        wrong.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "sk-other");
        var response = await locked.Http.SendAsync(wrong);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        AssertOpenAIError(await response.Content.ReadAsStringAsync(), "invalid_request_error", "invalid_api_key");

        var wrongAnthropic = locked.Post("/v1/messages", "{}", anthropic: true);
        wrongAnthropic.Headers.Remove("x-api-key");
        wrongAnthropic.Headers.Add("x-api-key", "other");
        response = await locked.Http.SendAsync(wrongAnthropic);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        AssertAnthropicError(await response.Content.ReadAsStringAsync(), "authentication_error");
        Assert.Single(locked.Bill.Entries);
    }

    [Theory]
    [InlineData("/v1/chat/completions", "{not json", false)]
    [InlineData("/v1/chat/completions", """{"messages":[{"role":"user","content":"hi"}]}""", false)]
    [InlineData("/v1/chat/completions", """{"model":"","messages":[{"role":"user","content":"hi"}]}""", false)]
    [InlineData("/v1/chat/completions", """{"model":"m"}""", false)]
    [InlineData("/v1/chat/completions", """{"model":"m","max_tokens":0,"messages":[{"role":"user","content":"hi"}]}""", false)]
    [InlineData("/v1/chat/completions", """{"model":"m","stream_options":{"include_usage":true},"messages":[{"role":"user","content":"hi"}]}""", false)]
    [InlineData("/v1/responses", "[1,2]", false)]
    [InlineData("/v1/responses", """{"input":"hi"}""", false)]
    [InlineData("/v1/embeddings", """{"model":"m"}""", false)]
    [InlineData("/v1/messages", "{not json", true)]
    [InlineData("/v1/messages", """{"max_tokens":10,"messages":[{"role":"user","content":"hi"}]}""", true)]
    [InlineData("/v1/messages", """{"model":"claude-x","messages":[{"role":"user","content":"hi"}]}""", true)]
    [InlineData("/v1/messages", """{"model":"claude-x","max_tokens":10,"messages":[]}""", true)]
    [InlineData("/v1/messages", """{"model":"claude-x","max_tokens":2000,"thinking":{"type":"enabled","budget_tokens":2000},"messages":[{"role":"user","content":"hi"}]}""", true)]
    [InlineData("/v1/messages", """{"model":"claude-x","max_tokens":2000,"thinking":{"type":"enabled","budget_tokens":512},"messages":[{"role":"user","content":"hi"}]}""", true)]
    [InlineData("/v1/messages", """{"model":"claude-x","max_tokens":2000,"thinking":{"type":"enabled"},"messages":[{"role":"user","content":"hi"}]}""", true)]
    public async Task BadRequests_Are400InProtocolShape_AndNotBilled(string path, string body, bool anthropic)
    {
        await using var server = await SimulatorServer.StartAsync();
        var response = await server.Http.SendAsync(server.Post(path, body, anthropic));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var text = await response.Content.ReadAsStringAsync();
        if (anthropic)
        {
            AssertAnthropicError(text, "invalid_request_error");
        }
        else
        {
            AssertOpenAIError(text, "invalid_request_error");
        }

        Assert.Equal(0, server.Bill.Count);
    }

    [Fact]
    public async Task Messages_AThinkingBudgetBelowMaxTokens_IsServed()
    {
        var response = await Server.Http.SendAsync(Server.Post("/v1/messages",
            """{"model":"claude-x","max_tokens":2000,"thinking":{"type":"enabled","budget_tokens":1024},"messages":[{"role":"user","content":"hi"}]}""", anthropic: true));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Responses_EchoTheReasoningEffortAsked()
    {
        var response = await Server.Http.SendAsync(Server.Post("/v1/responses", """{"model":"o3","input":"hi","reasoning":{"effort":"low"}}"""));
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("low", json.RootElement.GetProperty("reasoning").GetProperty("effort").GetString());
        response = await Server.Http.SendAsync(Server.Post("/v1/responses", """{"model":"o3","input":"hi"}"""));
        using var none = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(JsonValueKind.Null, none.RootElement.GetProperty("reasoning").GetProperty("effort").ValueKind);
    }

    [Fact]
    public async Task AnyModelName_IsServed()
    {
        var response = await Server.Http.SendAsync(Server.Post("/v1/chat/completions",
            """{"model":"my-local-llama:70b","messages":[{"role":"user","content":"hi"}]}"""));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Models_OpenAIAndAnthropicShapes()
    {
        var openai = new HttpRequestMessage(HttpMethod.Get, "/v1/models");
        openai.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "k");
        var json = JsonDocument.Parse(await (await Server.Http.SendAsync(openai)).Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("list", json.GetProperty("object").GetString());
        Assert.Contains(json.GetProperty("data").EnumerateArray(), m => m.GetProperty("id").GetString() == "gpt-4o"
            && m.GetProperty("object").GetString() == "model" && m.GetProperty("owned_by").GetString() == "openai");

        var anthropic = new HttpRequestMessage(HttpMethod.Get, "/v1/models");
        anthropic.Headers.Add("x-api-key", "k");
        anthropic.Headers.Add("anthropic-version", "2023-06-01");
        json = JsonDocument.Parse(await (await Server.Http.SendAsync(anthropic)).Content.ReadAsStringAsync()).RootElement;
        Assert.False(json.GetProperty("has_more").GetBoolean());
        Assert.Contains(json.GetProperty("data").EnumerateArray(), m => m.GetProperty("id").GetString() == "claude-sonnet-4-5"
            && m.GetProperty("type").GetString() == "model");

        var noAuth = await Server.Http.GetAsync("/v1/models");
        Assert.Equal(HttpStatusCode.Unauthorized, noAuth.StatusCode);
    }

    [Fact]
    public async Task UnknownRoute_Is404InOpenAIShape()
    {
        var response = await Server.Http.SendAsync(Server.Post("/v1/engines/davinci/completions", "{}"));
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        AssertOpenAIError(await response.Content.ReadAsStringAsync(), "invalid_request_error");
    }

    [Fact]
    public async Task BillOverHttp_ListsAndResets()
    {
        var time = new FixedTimeProvider(new DateTimeOffset(2026, 3, 4, 5, 6, 7, TimeSpan.Zero));
        await using var server = await SimulatorServer.StartAsync(new SimulatorOptions { TimeProvider = time });
        var chat = JsonDocument.Parse(await (await server.Http.SendAsync(server.Post("/v1/chat/completions",
            """{"model":"gpt-4o","service_tier":"flex","messages":[{"role":"user","content":"hi"}]}"""))).Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(time.GetUtcNow().ToUnixTimeSeconds(), chat.GetProperty("created").GetInt64());
        Assert.Equal("flex", chat.GetProperty("service_tier").GetString());
        await server.Http.SendAsync(server.Post("/v1/messages",
            """{"model":"claude-x","max_tokens":10,"stream":true,"messages":[{"role":"user","content":"hi"}]}""", anthropic: true));

        var bill = JsonDocument.Parse(await server.Http.GetStringAsync("/_sim/bill")).RootElement;
        Assert.Equal(2, bill.GetArrayLength());
        var first = bill[0];
        Assert.Equal(chat.GetProperty("id").GetString(), first.GetProperty("id").GetString());
        Assert.Equal("openai.chat", first.GetProperty("protocol").GetString());
        Assert.Equal("flex", first.GetProperty("usage").GetProperty("tier").GetString());
        Assert.Equal(chat.GetProperty("usage").GetProperty("prompt_tokens").GetInt64(), first.GetProperty("usage").GetProperty("uncachedInput").GetInt64());
        Assert.Equal(time.GetUtcNow(), first.GetProperty("timestamp").GetDateTimeOffset());
        Assert.Equal(time.GetUtcNow(), server.Bill.Entries[0].Timestamp);
        Assert.Equal("anthropic.messages", bill[1].GetProperty("protocol").GetString());
        Assert.True(bill[1].GetProperty("streamed").GetBoolean());
        Assert.True(bill[1].GetProperty("completed").GetBoolean());
        Assert.Equal(10, bill[1].GetProperty("usage").GetProperty("output").GetInt32());

        Assert.Equal(0, first.GetProperty("usage").GetProperty("webSearchCalls").GetInt64());

        // Per-call units are part of the bill (a Responses request with the web_search tool runs one search).
        var search = JsonDocument.Parse(await (await server.Http.SendAsync(server.Post("/v1/responses",
            """{"model":"gpt-5.6-luna","input":"news?","tools":[{"type":"web_search"}]}"""))).Content.ReadAsStringAsync()).RootElement;
        var searched = JsonDocument.Parse(await server.Http.GetStringAsync("/_sim/bill")).RootElement[2];
        Assert.Equal(search.GetProperty("id").GetString(), searched.GetProperty("id").GetString());
        Assert.Equal(1, searched.GetProperty("usage").GetProperty("webSearchCalls").GetInt64());
        Assert.Equal(0, searched.GetProperty("usage").GetProperty("webFetchCalls").GetInt64());

        var reset = await server.Http.DeleteAsync("/_sim/bill");
        Assert.Equal(HttpStatusCode.NoContent, reset.StatusCode);
        Assert.Equal(0, server.Bill.Count);
        Assert.Equal("[]", await server.Http.GetStringAsync("/_sim/bill"));
    }

    [Fact]
    public async Task OfficialSdks_SendWhatTheSimulatorExpects()
    {
        var bodies = new List<(string Path, string? Authorization, string? ApiKey, string Body)>();
        await using var server = await SimulatorServer.StartAsync(configure: app => app.Use(async (HttpContext context, RequestDelegate next) =>
        {
            context.Request.EnableBuffering();
            var body = await new StreamReader(context.Request.Body).ReadToEndAsync();
            context.Request.Body.Position = 0;
            lock (bodies)
            {
                bodies.Add((context.Request.Path, context.Request.Headers.Authorization, context.Request.Headers["x-api-key"], body));
            }

            await next(context);
        }));

        await foreach (var _ in server.Chat("gpt-4o").CompleteChatStreamingAsync([new UserChatMessage("hi")]))
        {
        }

        await server.Embeddings("text-embedding-3-small").GenerateEmbeddingsAsync(["x"]);
        using var anthropic = server.Anthropic();
        await anthropic.Messages.Create(new Anthropic.Models.Messages.MessageCreateParams
        {
            Model = "claude-x",
            MaxTokens = 10,
            Messages = [new Anthropic.Models.Messages.UserMessageParam { Content = "hi" }],
        });

        // The OpenAI SDK always asks for the usage chunk when streaming, and for base64 embeddings.
        Assert.Contains("\"stream_options\":{\"include_usage\":true}", bodies[0].Body);
        Assert.Contains("\"encoding_format\":\"base64\"", bodies[1].Body);

        // The Anthropic SDK 13.x sends its ApiKey as a bearer token, not x-api-key.
        Assert.Equal("Bearer " + SimulatorServer.ApiKey, bodies[2].Authorization);
        Assert.True(string.IsNullOrEmpty(bodies[2].ApiKey));
    }

    internal static void AssertOpenAIError(string body, string type, string? code = null)
    {
        var root = JsonDocument.Parse(body).RootElement;
        Assert.Equal(["error"], root.EnumerateObject().Select(p => p.Name));
        var error = root.GetProperty("error");
        Assert.Equal(["message", "type", "param", "code"], error.EnumerateObject().Select(p => p.Name));
        Assert.False(string.IsNullOrEmpty(error.GetProperty("message").GetString()));
        Assert.Equal(type, error.GetProperty("type").GetString());
        if (code is not null)
        {
            Assert.Equal(code, error.GetProperty("code").GetString());
        }
    }

    internal static void AssertAnthropicError(string body, string type)
    {
        var root = JsonDocument.Parse(body).RootElement;
        Assert.Equal("error", root.GetProperty("type").GetString());
        var error = root.GetProperty("error");
        Assert.Equal(type, error.GetProperty("type").GetString());
        Assert.False(string.IsNullOrEmpty(error.GetProperty("message").GetString()));
    }
}

internal sealed class FixedTimeProvider(DateTimeOffset now) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => now;
}
