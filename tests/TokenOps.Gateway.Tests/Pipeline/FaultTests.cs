using System.Net;
using System.Text;
using System.Text.Json;
using TokenOps.Core.Ledger;
using TokenOps.Gateway.Tests.Infrastructure;
using TokenOps.Simulator;

namespace TokenOps.Gateway.Tests.Pipeline;

/// <summary>Provider faults, timeouts and client aborts: each still leaves exactly one truthful ledger row.</summary>
public sealed class FaultTests
{
    private static HttpRequestMessage Chat(bool stream, string? fault = null, bool includeUsage = false, string model = "gpt-4o-mini")
    {
        var options = includeUsage ? ""","stream_options":{"include_usage":true}""" : "";
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Content = new StringContent($$"""{"model":"{{model}}","stream":{{(stream ? "true" : "false")}}{{options}},"messages":[{"role":"user","content":"Tell me a long story about ledgers and budgets."}]}""", Encoding.UTF8, "application/json"),
        };
        if (fault is not null) request.Headers.Add("x-sim-fault", fault);
        return request;
    }

    [Theory]
    [InlineData("error:500", 500)]
    [InlineData("error:429", 429)]
    [InlineData("error:400", 400)]
    public async Task ProviderError_IsRelayedWithStatusAndBody_RowHasNoCost(string fault, int status)
    {
        await using var gateway = await GatewayFixture.StartAsync();
        using var http = gateway.Client(gateway.CreateKey());
        using var response = await http.SendAsync(Chat(false, fault));

        Assert.Equal(status, (int)response.StatusCode);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.True(doc.RootElement.GetProperty("error").TryGetProperty("message", out _));
        var row = Assert.Single(await gateway.LedgerAsync(1));
        Assert.Equal((status, LedgerOutcome.ProviderError, 0L), (row.Status, row.Outcome, row.CostNanos));
    }

    [Fact]
    public async Task StreamWithoutUsageFromProvider_IsEstimatedAndFlagged()
    {
        await using var gateway = await GatewayFixture.StartAsync();
        using var http = gateway.Client(gateway.CreateKey());
        using var response = await http.SendAsync(Chat(true, "nousage"));
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("[DONE]", body);
        var row = Assert.Single(await gateway.LedgerAsync(1));
        Assert.True(row.Estimated);
        Assert.True(row.Usage.UncachedInput > 0 && row.Usage.Output > 0);
        Assert.True(row.CostNanos > 0);
        // The estimate is close to what the provider billed (tokenizer vs simulator counting).
        var billed = Assert.Single(gateway.Bill.Entries);
        Assert.InRange(row.Usage.Output, billed.Usage.Output / 2, billed.Usage.Output * 2);
    }

    [Fact]
    public async Task ChatStream_ClientThatDidNotAskForUsage_NeverSeesTheUsageChunk_ButTheLedgerHasIt()
    {
        await using var gateway = await GatewayFixture.StartAsync();
        using var http = gateway.Client(gateway.CreateKey());
        using var without = await http.SendAsync(Chat(true));
        var withoutBody = await without.Content.ReadAsStringAsync();
        using var with = await http.SendAsync(Chat(true, includeUsage: true));
        var withBody = await with.Content.ReadAsStringAsync();

        Assert.DoesNotContain("\"prompt_tokens\"", withoutBody);
        Assert.Contains("\"prompt_tokens\"", withBody);
        Assert.EndsWith("data: [DONE]\n\n", withoutBody);
        // Only that one event is gone: every other event arrives whole and well framed (the relay copies runs of events).
        var withEvents = withBody.Split("\n\n", StringSplitOptions.RemoveEmptyEntries);
        var withoutEvents = withoutBody.Split("\n\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(withEvents.Length - 1, withoutEvents.Length);
        Assert.True(withoutEvents.Length > 3);
        foreach (var e in withoutEvents[..^1])
        {
            Assert.StartsWith("data: {", e);
            using var chunk = System.Text.Json.JsonDocument.Parse(e["data: ".Length..]);
            Assert.Equal("chat.completion.chunk", chunk.RootElement.GetProperty("object").GetString());
        }
        var rows = await gateway.LedgerAsync(2);
        Assert.All(rows, r => Assert.False(r.Estimated));
        Assert.Equal(gateway.BilledNanos(gateway.Bill.Entries), rows.Sum(r => r.CostNanos));
    }

    [Fact]
    public async Task MidStreamProviderFailure_RowIsEstimated_ClientSeesBrokenStream()
    {
        // A paced stream, as real providers send: events reach the gateway before the provider drops the connection.
        await using var gateway = await GatewayFixture.StartAsync(simulator: new SimulatorOptions { InterChunkDelayMs = 5 });
        using var http = gateway.Client(gateway.CreateKey());
        await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            using var response = await http.SendAsync(Chat(true, "midstream"), HttpCompletionOption.ResponseHeadersRead);
            await response.Content.ReadAsStringAsync();
        });
        var row = Assert.Single(await gateway.LedgerAsync(1));
        Assert.Equal((LedgerOutcome.ProviderError, "upstream_stream_broken"), (row.Outcome, row.ErrorCode));
        Assert.True(row.Estimated);
        Assert.True(row.Usage.UncachedInput > 0);
    }

    [Fact]
    public async Task MalformedSseEvent_IsPassedThrough_UsageStillMetered()
    {
        await using var gateway = await GatewayFixture.StartAsync();
        using var http = gateway.Client(gateway.CreateKey());
        using var response = await http.SendAsync(Chat(true, "malformed"));
        await response.Content.ReadAsStringAsync();
        var row = Assert.Single(await gateway.LedgerAsync(1));
        Assert.NotEqual(500, row.Status);
        Assert.True(row.Usage.UncachedInput > 0);
    }

    [Fact]
    public async Task HangingProvider_TimesOutWith504InProtocolShape()
    {
        await using var gateway = await GatewayFixture.StartAsync(upstreamTimeout: TimeSpan.FromMilliseconds(500));
        using var http = gateway.Client(gateway.CreateKey());
        var started = DateTime.UtcNow;
        using var response = await http.SendAsync(Chat(false, "hang"));

        Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode);
        Assert.InRange((DateTime.UtcNow - started).TotalSeconds, 0.4, 10);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("upstream_timeout", doc.RootElement.GetProperty("error").GetProperty("code").GetString());
        var row = Assert.Single(await gateway.LedgerAsync(1));
        Assert.Equal(LedgerOutcome.UpstreamTimeout, row.Outcome);
    }

    [Fact]
    public async Task UnreachableProvider_Is502()
    {
        await using var gateway = await GatewayFixture.StartAsync(o =>
        {
            o.Providers["dead"] = new() { Kind = "openai", BaseUrl = "http://127.0.0.1:9" };
            o.Models["gpt-4o-mini"] = new() { Provider = "dead" };
        });
        using var http = gateway.Client(gateway.CreateKey());
        using var response = await http.SendAsync(Chat(false));
        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Contains("upstream_unreachable", await response.Content.ReadAsStringAsync());
        Assert.Equal(LedgerOutcome.UpstreamUnreachable, Assert.Single(await gateway.LedgerAsync(1)).Outcome);
    }

    [Fact]
    public async Task ClientAbortMidStream_StillLeavesOneRow_WithWhatWasGenerated()
    {
        await using var gateway = await GatewayFixture.StartAsync(simulator: new SimulatorOptions { InterChunkDelayMs = 30 });
        using var http = gateway.Client(gateway.CreateKey());
        using (var cts = new CancellationTokenSource())
        {
            using var response = await http.SendAsync(Chat(true), HttpCompletionOption.ResponseHeadersRead, cts.Token);
            await using var stream = await response.Content.ReadAsStreamAsync(cts.Token);
            var buffer = new byte[256];
            var read = await stream.ReadAsync(buffer, cts.Token);
            Assert.True(read > 0);
            await Task.Delay(150);
            cts.Cancel();
        }
        var row = Assert.Single(await gateway.LedgerAsync(1));
        Assert.Equal(LedgerOutcome.ClientAborted, row.Outcome);
        Assert.True(row.Estimated);
        Assert.True(row.Usage.UncachedInput > 0);
        Assert.True(row.Usage.Output > 0, "tokens generated before the abort are billed");
        Assert.True(row.CostNanos > 0);
    }
}
