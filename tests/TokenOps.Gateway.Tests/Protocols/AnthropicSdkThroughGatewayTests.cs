using Anthropic;
using Anthropic.Models.Messages;
using TokenOps.Core.Ledger;
using TokenOps.Gateway.Tests.Infrastructure;

namespace TokenOps.Gateway.Tests.Protocols;

/// <summary>The official Anthropic SDK through the gateway (x-api-key = virtual key): ledger equals the provider's bill.</summary>
public sealed class AnthropicSdkThroughGatewayTests(SharedGateway shared) : IClassFixture<SharedGateway>
{
    private GatewayFixture Gateway => shared.Gateway;

    [Fact]
    public async Task Messages_NonStreaming_WithCacheBuckets_LedgerEqualsBill()
    {
        var key = Gateway.CreateKey("una", "payments");
        using var client = shared.Anthropic(key);
        var longSystem = string.Join(' ', Enumerable.Repeat("house rules for the payments repository", 300));
        var ids = new List<string>();
        for (var i = 0; i < 6; i++)
        {
            var message = await client.Messages.Create(new MessageCreateParams
            {
                Model = "claude-sonnet-4-5",
                MaxTokens = 256,
                System = new List<TextBlockParam> { new(longSystem) { CacheControl = new CacheControlEphemeral { Ttl = i % 2 == 0 ? Ttl.Ttl1h : Ttl.Ttl5m } } },
                Messages = [new UserMessageParam { Content = $"question {i}" }],
            });
            ids.Add(message.ID);
            var row = (await Gateway.LedgerAsync()).Single(r => r.ProviderRequestId == message.ID);
            Assert.Equal(message.Usage.InputTokens, row.Usage.UncachedInput);
            Assert.Equal(message.Usage.CacheReadInputTokens ?? 0, row.Usage.CacheRead);
            Assert.Equal(message.Usage.OutputTokens, row.Usage.Output);
            Assert.Equal(("una", "anthropic.messages", LedgerOutcome.Ok), (row.Person, row.Route, row.Outcome));
        }
        var rows = (await Gateway.LedgerAsync()).Where(r => r.Person == "una").ToList();
        Assert.Equal(6, rows.Count);
        Assert.Contains(rows, r => r.Usage.CacheRead > 0);
        Assert.Contains(rows, r => r.Usage.CacheWrite1h > 0 || r.Usage.CacheWrite5m > 0);
        Assert.Equal(Gateway.BilledNanos(ids.Select(id => Gateway.Bill.Find(id)!)), rows.Sum(r => r.CostNanos));
        foreach (var id in ids) Assert.Equal(Gateway.Bill.Find(id)!.Usage, rows.Single(r => r.ProviderRequestId == id).Usage);
    }

    [Fact]
    public async Task Messages_Streaming_CumulativeDeltaNotSummed_LedgerEqualsBill()
    {
        var key = Gateway.CreateKey("vic", "growth");
        using var client = shared.Anthropic(key);
        var aggregated = await client.Messages.CreateStreaming(new MessageCreateParams
        {
            Model = "claude-haiku-4-5",
            MaxTokens = 512,
            Messages = [new UserMessageParam { Content = "Stream a short answer about budgets." }],
        }).Aggregate();

        var row = (await Gateway.LedgerAsync()).Single(r => r.ProviderRequestId == aggregated.ID);
        var bill = Gateway.Bill.Find(aggregated.ID)!;
        Assert.True(row.Streamed);
        Assert.False(row.Estimated);
        Assert.Equal(aggregated.Usage.OutputTokens, row.Usage.Output);
        Assert.Equal(bill.Usage, row.Usage);
        Assert.Equal(Gateway.BilledNanos([bill]), row.CostNanos);
    }
}
