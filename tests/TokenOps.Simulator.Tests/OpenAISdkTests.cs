using System.ClientModel;
using System.Text;
using OpenAI.Chat;
using OpenAI.Embeddings;
using OpenAI.Responses;
using TokenOps.Core.Metering;

namespace TokenOps.Simulator.Tests;

/// <summary>The official OpenAI .NET SDK (2.15) talks to the simulator and reads the same usage it bills.</summary>
public sealed class OpenAISdkTests(SimulatorFixture fixture) : IClassFixture<SimulatorFixture>
{
    private SimulatorServer Server => fixture.Server;

    [Fact]
    public async Task Chat_NonStreaming_UsageMatchesBill()
    {
        var client = Server.Chat("gpt-4o-mini");
        ChatCompletion completion = await client.CompleteChatAsync(
            [new SystemChatMessage("You are terse."), new UserChatMessage("Explain prompt caching in one line.")]);

        Assert.StartsWith("chatcmpl-", completion.Id);
        Assert.Equal("gpt-4o-mini", completion.Model);
        Assert.Equal(ChatMessageRole.Assistant, completion.Role);
        Assert.Equal(ChatFinishReason.Stop, completion.FinishReason);
        var text = completion.Content[0].Text;
        Assert.False(string.IsNullOrWhiteSpace(text));
        Assert.Equal(completion.Usage.OutputTokenCount, text.Split(' ').Length);

        var entry = Assert.IsType<BillEntry>(Server.Bill.Find(completion.Id));
        Assert.Equal(SimProtocols.OpenAIChat, entry.Protocol);
        Assert.Equal("gpt-4o-mini", entry.Model);
        Assert.False(entry.Streamed);
        Assert.True(entry.Completed);
        AssertChatUsage(completion.Usage, entry.Usage);
        Assert.Equal(0, completion.Usage.OutputTokenDetails.ReasoningTokenCount);
    }

    [Fact]
    public async Task Chat_Streaming_SdkGetsUsageChunkMatchingBill()
    {
        var client = Server.Chat("gpt-5-mini");
        var text = new StringBuilder();
        ChatTokenUsage? usage = null;
        string? id = null;
        ChatFinishReason? finish = null;
        var updates = 0;
        await foreach (var update in client.CompleteChatStreamingAsync([new UserChatMessage("Stream me a sentence.")]))
        {
            updates++;
            id ??= update.CompletionId;
            foreach (var part in update.ContentUpdate)
            {
                text.Append(part.Text);
            }

            finish ??= update.FinishReason;
            usage ??= update.Usage;
        }

        Assert.NotNull(id);
        Assert.NotNull(usage);
        Assert.Equal(ChatFinishReason.Stop, finish);
        Assert.True(updates > 5, "expected word-by-word chunks");
        var entry = Assert.IsType<BillEntry>(Server.Bill.Find(id));
        Assert.True(entry.Streamed);
        Assert.True(entry.Completed);
        AssertChatUsage(usage, entry.Usage);

        // gpt-5 family: 40% of output is reasoning; the visible text has the rest as words.
        Assert.Equal(usage.OutputTokenCount * 2 / 5, usage.OutputTokenDetails.ReasoningTokenCount);
        Assert.Equal(usage.OutputTokenCount - usage.OutputTokenDetails.ReasoningTokenCount, text.ToString().Split(' ').Length);
    }

    [Fact]
    public async Task Chat_MaxTokens_TruncatesWithLength()
    {
        var client = Server.Chat("gpt-4o");
        ChatCompletion completion = await client.CompleteChatAsync(
            [new UserChatMessage("Write a long essay.")], new ChatCompletionOptions { MaxOutputTokenCount = 7 });

        Assert.Equal(ChatFinishReason.Length, completion.FinishReason);
        Assert.Equal(7, completion.Usage.OutputTokenCount);
        Assert.Equal(7, Server.Bill.Find(completion.Id)!.Usage.Output);
    }

    [Fact]
    public async Task Chat_LongPrompt_SentAgain_ReportsCachedTokensAsSubset()
    {
        var client = Server.Chat("gpt-4.1");
        var longPrompt = Guid.NewGuid().ToString("N") + string.Join(' ', Enumerable.Repeat("lorem ipsum dolor sit amet", 400)); // ~10.8 KB
        ChatCompletion first = await client.CompleteChatAsync([new UserChatMessage(longPrompt)]);
        Assert.Equal(0, first.Usage.InputTokenDetails.CachedTokenCount);
        ChatCompletion completion = await client.CompleteChatAsync([new UserChatMessage(longPrompt)]);

        var usage = completion.Usage;
        Assert.True(usage.InputTokenCount >= 2048);
        var cached = usage.InputTokenDetails.CachedTokenCount;
        Assert.Equal(0, cached % 128);
        Assert.Equal(1024 + (usage.InputTokenCount - 1024) / 128 * 128, cached);
        var entry = Server.Bill.Find(completion.Id)!;
        Assert.Equal(cached, entry.Usage.CacheRead);
        Assert.Equal(usage.InputTokenCount - cached, entry.Usage.UncachedInput);
    }

    [Theory]
    [InlineData("flex", ServiceTier.Flex)]
    [InlineData("priority", ServiceTier.Priority)]
    public async Task Chat_ServiceTier_IsEchoedAndBilled(string tier, ServiceTier expected)
    {
        var client = Server.Chat("o4-mini");
        ChatCompletion completion = await client.CompleteChatAsync(
            [new UserChatMessage("hi")], new ChatCompletionOptions { ServiceTier = new ChatServiceTier(tier) });

        Assert.Equal(tier, completion.ServiceTier?.ToString());
        Assert.Equal(expected, Server.Bill.Find(completion.Id)!.Usage.Tier);
        Assert.True(completion.Usage.OutputTokenDetails.ReasoningTokenCount > 0);
    }

    [Fact]
    public async Task Responses_NonStreaming_UsageMatchesBill()
    {
        var client = Server.Responses();
        ResponseResult response = await client.CreateResponseAsync(new CreateResponseOptions("gpt-4.1-mini",
            [ResponseItem.CreateUserMessageItem("Summarise FinOps in a sentence.")])
        {
            Instructions = "Be brief.",
        });

        Assert.StartsWith("resp_", response.Id);
        Assert.Equal(ResponseStatus.Completed, response.Status);
        Assert.False(string.IsNullOrWhiteSpace(response.GetOutputText()));
        var entry = Assert.IsType<BillEntry>(Server.Bill.Find(response.Id));
        Assert.Equal(SimProtocols.OpenAIResponses, entry.Protocol);
        Assert.False(entry.Streamed);
        AssertResponseUsage(response.Usage, entry.Usage);
    }

    [Fact]
    public async Task Responses_Streaming_CompletedEventCarriesUsage()
    {
        var client = Server.Responses();
        var text = new StringBuilder();
        ResponseResult? final = null;
        var sequence = new List<int>();
        await foreach (var update in await client.CreateResponseStreamingAsync(new CreateResponseOptions("o3",
            [ResponseItem.CreateUserMessageItem("Stream a reply.")]) { StreamingEnabled = true }))
        {
            sequence.Add(update.SequenceNumber);
            switch (update)
            {
                case StreamingResponseOutputTextDeltaUpdate delta:
                    text.Append(delta.Delta);
                    break;
                case StreamingResponseCompletedUpdate completed:
                    final = completed.Response;
                    break;
            }
        }

        Assert.NotNull(final);
        Assert.Equal(Enumerable.Range(0, sequence.Count), sequence);
        Assert.Equal(ResponseStatus.Completed, final.Status);
        Assert.Equal(text.ToString(), final.GetOutputText());
        var entry = Server.Bill.Find(final.Id)!;
        Assert.True(entry.Streamed);
        Assert.True(entry.Completed);
        AssertResponseUsage(final.Usage, entry.Usage);
        Assert.True(final.Usage.OutputTokenDetails.ReasoningTokenCount > 0);
    }

    [Fact]
    public async Task Responses_MaxOutputTokens_StreamEndsIncomplete()
    {
        var client = Server.Responses();
        ResponseResult? final = null;
        await foreach (var update in await client.CreateResponseStreamingAsync(new CreateResponseOptions("gpt-4o",
            [ResponseItem.CreateUserMessageItem("A long answer please.")]) { MaxOutputTokenCount = 16, StreamingEnabled = true }))
        {
            if (update is StreamingResponseIncompleteUpdate incomplete)
            {
                final = incomplete.Response;
            }

            Assert.IsNotType<StreamingResponseCompletedUpdate>(update);
        }

        Assert.NotNull(final);
        Assert.Equal(ResponseStatus.Incomplete, final.Status);
        Assert.Equal(16, final.Usage.OutputTokenCount);
        Assert.Equal(16, Server.Bill.Find(final.Id)!.Usage.Output);

        ResponseResult nonStreamed = await client.CreateResponseAsync(new CreateResponseOptions("gpt-4o",
            [ResponseItem.CreateUserMessageItem("A long answer please.")]) { MaxOutputTokenCount = 16 });
        Assert.Equal(ResponseStatus.Incomplete, nonStreamed.Status);
    }

    [Fact]
    public async Task Embeddings_SdkDecodesVectors_UsageMatchesBill()
    {
        var client = Server.Embeddings("text-embedding-3-small");
        ClientResult<OpenAIEmbeddingCollection> clientResult = await client.GenerateEmbeddingsAsync(["first text", "second, longer text"]);
        OpenAIEmbeddingCollection result = clientResult.Value;

        Assert.Equal(2, result.Count);
        var vector = result[0].ToFloats().ToArray();
        Assert.Equal(8, vector.Length);
        Assert.Equal(1.0, Math.Sqrt(vector.Sum(v => (double)v * v)), 4);
        Assert.NotEqual(vector, result[1].ToFloats().ToArray());
        Assert.True(result.Usage.InputTokenCount > 0);

        Assert.True(clientResult.GetRawResponse().Headers.TryGetValue("x-request-id", out var requestId));
        var entry = Assert.IsType<BillEntry>(Server.Bill.Find(requestId!));
        Assert.Equal(SimProtocols.OpenAIEmbeddings, entry.Protocol);
        Assert.Equal(result.Usage.InputTokenCount, entry.Usage.UncachedInput);
        Assert.Equal(0, entry.Usage.Output);

        OpenAIEmbedding single = await client.GenerateEmbeddingAsync("first text", new EmbeddingGenerationOptions { Dimensions = 3 });
        Assert.Equal(3, single.ToFloats().Length);
    }

    [Fact]
    public async Task Embeddings_SameInput_SameVector()
    {
        var client = Server.Embeddings("text-embedding-3-large");
        OpenAIEmbedding a = await client.GenerateEmbeddingAsync("deterministic");
        OpenAIEmbedding b = await client.GenerateEmbeddingAsync("deterministic");
        Assert.Equal(a.ToFloats().ToArray(), b.ToFloats().ToArray());
    }

    [Fact]
    public async Task Sdk_ProtocolErrors_SurfaceAsClientResultException()
    {
        var wrongKey = new ChatClient("gpt-4o", new ApiKeyCredential("sk-wrong"), Server.OpenAIOptions());
        await using var locked = await SimulatorServer.StartAsync(new SimulatorOptions { RequiredApiKey = "sk-right" });
        var lockedClient = new ChatClient("gpt-4o", new ApiKeyCredential("sk-wrong"), locked.OpenAIOptions());
        var error = await Assert.ThrowsAsync<ClientResultException>(() => lockedClient.CompleteChatAsync([new UserChatMessage("hi")]));
        Assert.Equal(401, error.Status);
        Assert.Contains("invalid_api_key", error.Message);
        Assert.Equal(0, locked.Bill.Count);

        // Without RequiredApiKey any key works.
        ChatCompletion ok = await wrongKey.CompleteChatAsync([new UserChatMessage("hi")]);
        Assert.NotNull(ok.Usage);
    }

    private static void AssertChatUsage(ChatTokenUsage usage, TokenUsage billed)
    {
        Assert.Equal(usage.InputTokenCount, billed.TotalInput);
        Assert.Equal(usage.InputTokenDetails.CachedTokenCount, billed.CacheRead);
        Assert.Equal(usage.InputTokenCount - usage.InputTokenDetails.CachedTokenCount, billed.UncachedInput);
        Assert.Equal(usage.OutputTokenCount, billed.Output);
        Assert.Equal(usage.OutputTokenDetails.ReasoningTokenCount, billed.Reasoning);
        Assert.Equal(usage.InputTokenCount + usage.OutputTokenCount, usage.TotalTokenCount);
    }

    private static void AssertResponseUsage(ResponseTokenUsage usage, TokenUsage billed)
    {
        Assert.Equal(usage.InputTokenCount, billed.TotalInput);
        Assert.Equal(usage.InputTokenDetails.CachedTokenCount, billed.CacheRead);
        Assert.Equal(usage.OutputTokenCount, billed.Output);
        Assert.Equal(usage.OutputTokenDetails.ReasoningTokenCount, billed.Reasoning);
        Assert.Equal(usage.InputTokenCount + usage.OutputTokenCount, usage.TotalTokenCount);
    }
}
