using System.Globalization;
using System.Net;
using System.Text;
using TokenOps.Core.Budgets;
using TokenOps.Core.Ledger;
using TokenOps.Core.Metering;
using TokenOps.Core.Pricing;
using TokenOps.Gateway.Configuration;
using TokenOps.Gateway.Pipeline;
using TokenOps.Gateway.Tests.Budgets;
using TokenOps.Gateway.Tests.Infrastructure;

namespace TokenOps.Gateway.Tests.Pipeline;

/// <summary>
/// Escapes a review as an attacker found after the first round of fixes: clients that leave before the answer, answers
/// without usage, input the prompt text does not show, and prices the reservation did not take (priority, cache writes,
/// a max_tokens above the catalog's limit).
/// </summary>
public sealed class ReviewFindingTests
{
    private static HttpRequestMessage Post(string path, string json, params (string Name, string Value)[] headers)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        foreach (var (name, value) in headers) request.Headers.Add(name, value);
        if (path == "/v1/messages") request.Headers.Add("anthropic-version", "2023-06-01");
        return request;
    }

    private static long Held(HttpResponseMessage response) =>
        NanoUsd.FromUsd(decimal.Parse(response.Headers.GetValues(AdmitStage.HeldHeader).Single(), CultureInfo.InvariantCulture));

    [Theory]
    [InlineData("/v1/chat/completions", """{"model":"gpt-4o","max_tokens":100,"messages":[{"role":"user","content":"hi there"}]}""")]
    [InlineData("/v1/messages", """{"model":"claude-sonnet-4-5","max_tokens":100,"messages":[{"role":"user","content":"hi there"}]}""")]
    [InlineData("/v1/chat/completions", """{"model":"gpt-4o","max_tokens":100,"stream":true,"messages":[{"role":"user","content":"hi there"}]}""")]
    public async Task AClientThatLeavesBeforeTheAnswer_IsRecordedWithWhatTheProviderBilled(string path, string json)
    {
        await using var gateway = await GatewayFixture.StartAsync(o => o.Budgets.People["ada"] = new BudgetOptions { LimitUsd = 100m, Period = "daily" });
        using var http = gateway.Client(gateway.CreateKey());
        using var cts = new CancellationTokenSource();
        var send = http.SendAsync(Post(path, json, ("x-sim-latency-ms", "1500")), HttpCompletionOption.ResponseHeadersRead, cts.Token);
        // The client gives up once the gateway has admitted the request (its hold exists: it is on its way upstream),
        // while the provider is still working on it.
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (gateway.Engine().Book.OpenReservations == 0 && DateTime.UtcNow < deadline) await Task.Delay(5);
        await Task.Delay(100);
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => send);
        var row = Assert.Single(await gateway.LedgerAsync(1));
        Assert.Equal(LedgerOutcome.ClientAborted, row.Outcome);
        Assert.True(row.CostNanos > 0, "the provider billed the request; the ledger must not record it as free");
        if (!json.Contains("\"stream\":true"))
        {
            Assert.False(row.Estimated, "a non-streamed answer is read to the end: its usage is the provider's");
            Assert.Equal(gateway.BilledNanos(gateway.Bill.Entries), row.CostNanos);
        }
        Assert.Equal(row.CostNanos, NanoUsd.FromUsd(Assert.Single(await gateway.SettledSnapshotsAsync()).Spent));
    }

    [Theory]
    [InlineData("/v1/messages", """{"model":"claude-sonnet-4-5","max_tokens":100,"stream":true,"messages":[{"role":"user","content":"hi there"}]}""")]
    [InlineData("/v1/messages", """{"model":"claude-sonnet-4-5","max_tokens":100,"messages":[{"role":"user","content":"hi there"}]}""")]
    [InlineData("/v1/chat/completions", """{"model":"gpt-4o","max_tokens":100,"messages":[{"role":"user","content":"hi there"}]}""")]
    [InlineData("/v1/responses", """{"model":"gpt-4o","max_output_tokens":100,"input":"hi there"}""")]
    public async Task AnAnswerWithoutUsage_IsEstimated_FromItsInputAndItsOutput(string path, string json)
    {
        await using var gateway = await GatewayFixture.StartAsync();
        using var http = gateway.Client(gateway.CreateKey());
        using var response = await http.SendAsync(Post(path, json, ("x-sim-fault", "nousage")));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var row = Assert.Single(await gateway.LedgerAsync(1));
        Assert.True(row.Estimated);
        Assert.True(row.Usage.TotalInput > 0);
        var billed = Assert.Single(gateway.Bill.Entries).Usage.Output;
        // The estimate reads the answer's text: within a factor of two of what the provider billed.
        Assert.InRange(row.Usage.Output, billed / 2, billed * 2);
    }

    [Fact]
    public async Task ToolDefinitions_CountNearALimit()
    {
        var description = string.Join(' ', Enumerable.Repeat("Looks up the customer's order history and returns every line item with its status.", 60));
        var tools = string.Join(',', Enumerable.Range(0, 10).Select(i => "{\"type\":\"function\",\"name\":\"tool" + i + "\",\"description\":\"" + description + "\",\"parameters\":{\"type\":\"object\",\"properties\":{}}}"));
        await using var gateway = await GatewayFixture.StartAsync(o => o.Budgets.People["ada"] = new BudgetOptions { LimitUsd = 0.0005m, Period = "daily" });
        using var http = gateway.Client(gateway.CreateKey());
        using var response = await http.SendAsync(Post("/v1/responses", $$"""{"model":"gpt-4o-mini","input":"hi","max_output_tokens":20,"tools":[{{tools}}]}"""));
        Assert.Equal(HttpStatusCode.PaymentRequired, response.StatusCode);
        Assert.Empty(gateway.Bill.Entries);
    }

    /// <summary>What one request reserves, read from the held-budget header of a fresh gateway (far from the limit: the byte bound).</summary>
    private static async Task<long> ReservedAsync(string path, string json, params (string, string)[] headers)
    {
        const decimal limit = 1000m;
        await using var gateway = await GatewayFixture.StartAsync(o => o.Budgets.People["ada"] = new BudgetOptions { LimitUsd = limit, Period = "daily" });
        using var http = gateway.Client(gateway.CreateKey());
        using var response = await http.SendAsync(Post(path, json, headers));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return Held(response);
    }

    private static long Bound(string json) => Encoding.UTF8.GetByteCount(json) + Encoding.UTF8.GetByteCount(json) / 4 + 32;

    [Fact]
    public async Task PriorityRequests_AreReservedAtPriorityRates()
    {
        const string standard = """{"model":"gpt-4o-mini","max_tokens":2000,"messages":[{"role":"user","content":"hi"}]}""";
        const string priority = """{"model":"gpt-4o-mini","max_tokens":2000,"service_tier":"priority","messages":[{"role":"user","content":"hi"}]}""";
        BundledCatalog.Load().TryGet("gpt-4o-mini", out var price);
        var reservedPriority = await ReservedAsync("/v1/chat/completions", priority);
        Assert.InRange(reservedPriority - ReservationMath.WorstCaseNanos(price!, Bound(priority), 2000, tier: ServiceTier.Priority), -1_000, 1_000);
        Assert.True(reservedPriority > await ReservedAsync("/v1/chat/completions", standard) * 3 / 2, "priority output costs 1.67x standard");
    }

    [Fact]
    public async Task AnthropicInput_IsReservedAtTheOneHourCacheWritePrice()
    {
        var prompt = string.Join(' ', Enumerable.Repeat("policy", 3000));
        var json = $$$"""{"model":"claude-sonnet-4-5","max_tokens":20,"system":[{"type":"text","text":"{{{prompt}}}","cache_control":{"type":"ephemeral","ttl":"1h"}}],"messages":[{"role":"user","content":"hi"}]}""";
        BundledCatalog.Load().TryGet("claude-sonnet-4-5", out var price);
        var reserved = await ReservedAsync("/v1/messages", json);
        var asWrites = NanoUsd.FromUsd(CostCalculator.Compute(price!, new TokenUsage { CacheWrite1h = Bound(json), Output = 20 }).Total);
        Assert.True(reserved >= asWrites, $"reserved {reserved} nano-USD, a one-hour cache write of the same input costs {asWrites}");
    }

    [Fact]
    public async Task AMaxTokensAboveTheCatalogLimit_IsReservedAsSent()
    {
        // A beta header can raise Claude's output limit past the catalog's (128K output for 3.7 Sonnet).
        const string json = """{"model":"claude-sonnet-4-5","max_tokens":128000,"messages":[{"role":"user","content":"hi"}]}""";
        BundledCatalog.Load().TryGet("claude-sonnet-4-5", out var price);
        Assert.Equal(64000, price!.MaxOutputTokens);
        var reserved = await ReservedAsync("/v1/messages", json, ("anthropic-beta", "output-128k-2025-02-19"));
        Assert.InRange(reserved - ReservationMath.WorstCaseNanos(price, Bound(json), 128_000), -1_000, 1_000);
    }
}
