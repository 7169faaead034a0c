using System.Net;
using System.Text;
using TokenOps.Core.Budgets;
using TokenOps.Core.Pricing;
using TokenOps.Gateway.Configuration;
using TokenOps.Gateway.Tests.Budgets;
using TokenOps.Gateway.Tests.Infrastructure;

namespace TokenOps.Gateway.Tests.Pipeline;

/// <summary>Provider-side tools billed per call (web search, web fetch, file search) are metered, priced and reserved.</summary>
public sealed class ToolFeeTests
{
    private static HttpRequestMessage Messages(string tools, bool stream)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/messages")
        {
            Content = new StringContent($$"""{"model":"claude-sonnet-4-5","max_tokens":64,"stream":{{(stream ? "true" : "false")}},"tools":[{{tools}}],"messages":[{"role":"user","content":"What happened in the news today?"}]}""",
                Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("anthropic-version", "2023-06-01");
        return request;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AnthropicWebSearchAndFetch_AreMeteredPerCall_AndTheRowMatchesTheBill(bool stream)
    {
        await using var gateway = await GatewayFixture.StartAsync();
        using var http = gateway.Client(gateway.CreateKey());
        using var response = await http.SendAsync(Messages("""{"type":"web_search_20250305","name":"web_search","max_uses":3},{"type":"web_fetch_20250910","name":"web_fetch"}""", stream));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var row = Assert.Single(await gateway.LedgerAsync(1));
        Assert.Equal((1L, 1L), (row.Usage.WebSearchCalls, row.Usage.WebFetchCalls));
        BundledCatalog.Load().TryGet("claude-sonnet-4-5", out var price);
        Assert.Equal(price!.WebSearchPerCall, row.Cost.ToolCalls);
        Assert.Equal(0.01m, row.Cost.ToolCalls);
        Assert.Equal(gateway.BilledNanos(gateway.Bill.Entries), row.CostNanos);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task OpenAIResponsesWebSearch_IsMeteredPerCall(bool stream)
    {
        await using var gateway = await GatewayFixture.StartAsync();
        using var http = gateway.Client(gateway.CreateKey());
        using var response = await http.PostAsync("/v1/responses", new StringContent(
            $$"""{"model":"gpt-4o-mini","stream":{{(stream ? "true" : "false")}},"tools":[{"type":"web_search"}],"input":"news today?"}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync();
        Assert.Contains("web_search_call", body);
        var row = Assert.Single(await gateway.LedgerAsync(1));
        Assert.Equal(1, row.Usage.WebSearchCalls);
        Assert.True(row.Cost.ToolCalls > 0);
        Assert.Equal(gateway.BilledNanos(gateway.Bill.Entries), row.CostNanos);
    }

    [Fact]
    public async Task SearchesAreReserved_UncappedToolsAreRefusedWhereACapOfOneFits()
    {
        // Server tools feed results back as input, so the input is reserved at the context window; on top of that the
        // budget holds one search ($0.01) and half of another: a cap of one fits, twenty uncapped searches do not.
        BundledCatalog.Load().TryGet("claude-sonnet-4-5", out var price);
        var limit = ReservationMath.WorstCaseNanos(price!, price!.MaxInputTokens!.Value, 64, toolCalls: 1) + NanoUsd.FromUsd(0.005m);
        await using var gateway = await GatewayFixture.StartAsync(o => o.Budgets.People["ada"] = new BudgetOptions { LimitUsd = NanoUsd.ToUsd(limit), Period = "daily" });
        using var http = gateway.Client(gateway.CreateKey());
        using (var uncapped = await http.SendAsync(Messages("""{"type":"web_search_20250305","name":"web_search"}""", false)))
            Assert.Equal(HttpStatusCode.PaymentRequired, uncapped.StatusCode);
        using (var capped = await http.SendAsync(Messages("""{"type":"web_search_20250305","name":"web_search","max_uses":1}""", false)))
            Assert.Equal(HttpStatusCode.OK, capped.StatusCode);
        var spent = Assert.Single(await gateway.SettledSnapshotsAsync()).Spent;
        Assert.True(spent >= 0.01m, "the search fee is booked against the budget");
    }
}
