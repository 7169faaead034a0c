using OpenAI.Chat;
using OpenAI.Responses;
using TokenOps.Core.Ledger;
using TokenOps.Gateway.Tests.Infrastructure;

namespace TokenOps.Gateway.Tests.Protocols;

/// <summary>
/// The official OpenAI SDK, pointed at the gateway with a virtual key: every call, streamed or not, leaves one
/// ledger row whose tokens and cost equal what the provider billed, to the nano-dollar.
/// </summary>
public sealed class OpenAISdkThroughGatewayTests(SharedGateway shared) : IClassFixture<SharedGateway>
{
    private GatewayFixture Gateway => shared.Gateway;

    [Fact]
    public async Task Chat_NonStreaming_LedgerRowEqualsProviderBill()
    {
        var key = Gateway.CreateKey("olga", "payments");
        ChatCompletion completion = await shared.Chat("gpt-4o-mini", key).CompleteChatAsync([new UserChatMessage("Explain idempotency keys.")]);

        var row = await RowFor(completion.Id);
        var bill = Gateway.Bill.Find(completion.Id)!;
        Assert.Equal(completion.Usage.InputTokenCount, row.Usage.TotalInput);
        Assert.Equal(completion.Usage.OutputTokenCount, row.Usage.Output);
        Assert.Equal(bill.Usage, row.Usage);
        Assert.Equal(Gateway.BilledNanos([bill]), row.CostNanos);
        Assert.True(row.CostNanos > 0);
        Assert.Equal(("olga", "payments", "openai.chat", LedgerOutcome.Ok, false), (row.Person, row.Team, row.Route, row.Outcome, row.Streamed));
        Assert.StartsWith("sha256:", row.CatalogVersion);
    }

    [Fact]
    public async Task Chat_Streaming_SdkSeesUsage_LedgerEqualsBill()
    {
        var key = Gateway.CreateKey("pete", "payments");
        ChatTokenUsage? usage = null;
        string? id = null;
        var text = new System.Text.StringBuilder();
        await foreach (var update in shared.Chat("gpt-5-mini", key).CompleteChatStreamingAsync([new UserChatMessage("Stream a haiku about ledgers.")]))
        {
            id ??= update.CompletionId;
            usage ??= update.Usage;
            foreach (var part in update.ContentUpdate) text.Append(part.Text);
        }

        Assert.NotNull(usage);
        Assert.False(string.IsNullOrWhiteSpace(text.ToString()));
        var row = await RowFor(id!);
        var bill = Gateway.Bill.Find(id!)!;
        Assert.True(row.Streamed);
        Assert.False(row.Estimated);
        Assert.Equal(bill.Usage, row.Usage);
        Assert.True(row.Usage.Reasoning > 0, "gpt-5-mini reports reasoning tokens");
        Assert.Equal(Gateway.BilledNanos([bill]), row.CostNanos);
        Assert.NotNull(row.TimeToFirstTokenMs);
    }

    [Fact]
    public async Task Responses_NonStreamingAndStreaming_LedgerEqualsBill()
    {
        var key = Gateway.CreateKey("quinn", "platform");
        var client = shared.Responses(key);
        ResponseResult plain = await client.CreateResponseAsync(new CreateResponseOptions("gpt-4.1-mini", [ResponseItem.CreateUserMessageItem("Summarise FinOps.")]));
        ResponseResult? streamed = null;
        await foreach (var update in await client.CreateResponseStreamingAsync(new CreateResponseOptions("o3", [ResponseItem.CreateUserMessageItem("Stream a plan.")]) { StreamingEnabled = true }))
            if (update is StreamingResponseCompletedUpdate completed) streamed = completed.Response;

        Assert.NotNull(streamed);
        foreach (var response in new[] { plain, streamed })
        {
            var row = await RowFor(response.Id);
            var bill = Gateway.Bill.Find(response.Id)!;
            Assert.Equal("openai.responses", row.Route);
            Assert.Equal(bill.Usage, row.Usage);
            Assert.Equal(response.Usage.InputTokenCount, row.Usage.TotalInput);
            Assert.Equal(Gateway.BilledNanos([bill]), row.CostNanos);
        }
    }

    [Fact]
    public async Task Embeddings_LedgerEqualsBill()
    {
        var key = Gateway.CreateKey("rosa", "platform");
        var result = await shared.Embeddings("text-embedding-3-small", key).GenerateEmbeddingsAsync(["first chunk of a document", "second chunk"]);

        Assert.Equal(2, result.Value.Count);
        var rows = (await Gateway.LedgerAsync()).Where(r => r.Person == "rosa").ToList();
        var row = Assert.Single(rows);
        Assert.Equal("openai.embeddings", row.Route);
        Assert.Equal(result.Value.Usage.InputTokenCount, row.Usage.UncachedInput);
        Assert.True(row.CostNanos > 0);
    }

    [Fact]
    public async Task ManyMixedCalls_LedgerTotalEqualsBillTotal_ExactlyOneRowEach()
    {
        var key = Gateway.CreateKey("sam", "growth");
        var chat = shared.Chat("gpt-4.1", key);
        var ids = new List<string>();
        for (var i = 0; i < 6; i++)
        {
            if (i % 2 == 0)
            {
                // Each long prompt starts with the one before, so the provider's prompt cache serves part of it.
                ids.Add((await chat.CompleteChatAsync([new UserChatMessage("Question: " + new string('x', 5000 * i))])).Value.Id);
            }
            else
            {
                string? id = null;
                await foreach (var u in chat.CompleteChatStreamingAsync([new UserChatMessage($"Streamed {i}")])) id ??= u.CompletionId;
                ids.Add(id!);
            }
        }

        var rows = (await Gateway.LedgerAsync()).Where(r => r.Person == "sam").ToList();
        Assert.Equal(6, rows.Count);
        Assert.Equal(ids.Order(), rows.Select(r => r.ProviderRequestId!).Order());
        Assert.Equal(Gateway.BilledNanos(ids.Select(id => Gateway.Bill.Find(id)!)), rows.Sum(r => r.CostNanos));
        Assert.Contains(rows, r => r.Usage.CacheRead > 0);
    }

    private async Task<LedgerEntry> RowFor(string providerId)
    {
        for (var i = 0; i < 200; i++)
        {
            var row = (await Gateway.LedgerAsync()).SingleOrDefault(r => r.ProviderRequestId == providerId);
            if (row is not null) return row;
            await Task.Delay(10);
        }
        throw new Xunit.Sdk.XunitException($"no ledger row for {providerId}");
    }
}
