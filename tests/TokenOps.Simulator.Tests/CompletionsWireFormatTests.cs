using System.Net;
using System.Text.Json;

namespace TokenOps.Simulator.Tests;

/// <summary>The legacy completions endpoint's wire shapes: text_completion objects, choices per prompt, best_of billed, the usage chunk.</summary>
public sealed class CompletionsWireFormatTests(SimulatorFixture fixture) : IClassFixture<SimulatorFixture>
{
    private SimulatorServer Server => fixture.Server;

    [Fact]
    public async Task NonStreamed_HasTheTextCompletionShape_NChoicesPerPrompt_AndBestOfIsBilled()
    {
        var response = await Server.Http.SendAsync(Server.Post("/v1/completions",
            """{"model":"gpt-3.5-turbo-instruct","prompt":["def add(a, b):","def sub(a, b):"],"suffix":"\n","n":2,"best_of":3,"max_tokens":12}"""));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var root = doc.RootElement;
        Assert.StartsWith("cmpl-", root.GetProperty("id").GetString());
        Assert.Equal("text_completion", root.GetProperty("object").GetString());
        var choices = root.GetProperty("choices").EnumerateArray().ToList();
        Assert.Equal([0, 1, 2, 3], choices.Select(c => c.GetProperty("index").GetInt32()));
        Assert.All(choices, c => Assert.Equal(JsonValueKind.Null, c.GetProperty("logprobs").ValueKind));
        Assert.All(choices, c => Assert.Equal("length", c.GetProperty("finish_reason").GetString()));
        var usage = root.GetProperty("usage");
        // Two prompts x best_of 3, each capped at 12 tokens.
        Assert.Equal(72, usage.GetProperty("completion_tokens").GetInt32());
        Assert.Equal(usage.GetProperty("prompt_tokens").GetInt32() + 72, usage.GetProperty("total_tokens").GetInt32());
        var entry = Server.Bill.Find(root.GetProperty("id").GetString()!)!;
        Assert.Equal(72, entry.Usage.Output);
        Assert.Equal("openai.completions", entry.Protocol);
    }

    [Fact]
    public async Task Streamed_WithIncludeUsage_EndsWithAUsageChunkWithoutChoices_ThenDone()
    {
        var (response, frames) = await Server.StreamAsync(Server.Post("/v1/completions",
            """{"model":"gpt-3.5-turbo-instruct","prompt":"Once upon","stream":true,"stream_options":{"include_usage":true}}"""));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("[DONE]", frames[^1].Data);
        var chunks = frames[..^1].Select(f => f.Json).ToList();
        Assert.All(chunks, c => Assert.Equal("text_completion", c.GetProperty("object").GetString()));
        var usage = chunks[^1].GetProperty("usage");
        Assert.Equal(0, chunks[^1].GetProperty("choices").GetArrayLength());
        // No max_tokens: the API's default of 16.
        Assert.Equal(16, usage.GetProperty("completion_tokens").GetInt32());
        Assert.Equal("length", chunks[^2].GetProperty("choices")[0].GetProperty("finish_reason").GetString());
        Assert.Equal(16, chunks.Count(c => c.GetProperty("choices").GetArrayLength() == 1 && c.GetProperty("choices")[0].GetProperty("finish_reason").ValueKind == JsonValueKind.Null));
    }

    [Theory]
    [InlineData("""{"model":"gpt-3.5-turbo-instruct"}""", "prompt")]
    [InlineData("""{"model":"gpt-3.5-turbo-instruct","prompt":"a","n":3,"best_of":2}""", "best_of")]
    [InlineData("""{"model":"gpt-3.5-turbo-instruct","prompt":"a","best_of":2,"stream":true}""", "best_of")]
    public async Task BadRequests_Are400_InTheOpenAIShape(string body, string param)
    {
        var response = await Server.Http.SendAsync(Server.Post("/v1/completions", body));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(param, doc.RootElement.GetProperty("error").GetProperty("param").GetString());
    }
}
