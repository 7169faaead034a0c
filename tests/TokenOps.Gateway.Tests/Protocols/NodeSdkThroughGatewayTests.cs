using System.Text.Json;
using TokenOps.Core.Ledger;
using TokenOps.Core.Metering;
using TokenOps.Core.Pricing;
using TokenOps.Gateway.Tests.Agents;
using TokenOps.Gateway.Tests.Infrastructure;

namespace TokenOps.Gateway.Tests.Protocols;

/// <summary>
/// The official Node SDKs (`openai`, `@anthropic-ai/sdk`, pinned in tests/agents) pointed at the gateway with a
/// virtual key by their own environment variables: each script prints the id and usage the SDK handed back for every
/// call, streamed or not, and each must be one ledger row with those tokens and the provider's bill.
/// </summary>
public sealed class NodeSdkThroughGatewayTests(SharedGateway shared) : IClassFixture<SharedGateway>
{
    private GatewayFixture Gateway => shared.Gateway;

    [Fact]
    public async Task OpenAI_ChatAndResponses_StreamedAndNot_SdkUsageEqualsLedgerAndBill()
    {
        var key = Gateway.CreateKey("noor", "web");
        var calls = await RunAsync("openai-sdk.mjs", "openai", new()
        {
            ["OPENAI_BASE_URL"] = new Uri(Gateway.BaseUrl, "v1").ToString(),
            ["OPENAI_API_KEY"] = key,
        });
        Assert.Equal(["chat", "chat.stream", "responses", "responses.stream"], calls.Select(c => c.Call));

        var rows = await RowsAsync("noor", calls.Count);
        foreach (var (call, id, usage) in calls)
        {
            var row = rows.Single(r => r.ProviderRequestId == id);
            var chat = call.StartsWith("chat", StringComparison.Ordinal);
            // Chat: prompt_tokens / completion_tokens with *_details; Responses: input_tokens / output_tokens.
            var input = usage.GetProperty(chat ? "prompt_tokens" : "input_tokens").GetInt64();
            var cached = usage.GetProperty(chat ? "prompt_tokens_details" : "input_tokens_details").GetProperty("cached_tokens").GetInt64();
            var output = usage.GetProperty(chat ? "completion_tokens" : "output_tokens").GetInt64();
            var reasoning = usage.GetProperty(chat ? "completion_tokens_details" : "output_tokens_details").GetProperty("reasoning_tokens").GetInt64();
            Assert.Equal((input, cached, output, reasoning), (row.Usage.TotalInput, row.Usage.CacheRead, row.Usage.Output, row.Usage.Reasoning));
            Assert.True(reasoning > 0, $"{call}: gpt-5-mini reports reasoning tokens");
            Assert.Equal((chat ? "openai.chat" : "openai.responses", call.EndsWith(".stream", StringComparison.Ordinal)), (row.Route, row.Streamed));
            AssertBilled(row, id, new TokenUsage { UncachedInput = input - cached, CacheRead = cached, Output = output, Reasoning = reasoning });
        }
    }

    [Fact]
    public async Task Anthropic_Messages_StreamedAndNot_WithPromptCache_SdkUsageEqualsLedgerAndBill()
    {
        var key = Gateway.CreateKey("omar", "web");
        var calls = await RunAsync("anthropic-sdk.mjs", "@anthropic-ai/sdk", new()
        {
            ["ANTHROPIC_BASE_URL"] = Gateway.BaseUrl.ToString().TrimEnd('/'),
            ["ANTHROPIC_API_KEY"] = key,
        });
        Assert.Equal(["messages", "messages.stream"], calls.Select(c => c.Call));

        var rows = await RowsAsync("omar", calls.Count);
        foreach (var (call, id, usage) in calls)
        {
            var row = rows.Single(r => r.ProviderRequestId == id);
            var creation = usage.GetProperty("cache_creation");
            var reported = new TokenUsage
            {
                UncachedInput = usage.GetProperty("input_tokens").GetInt64(),
                CacheRead = usage.GetProperty("cache_read_input_tokens").GetInt64(),
                CacheWrite5m = creation.GetProperty("ephemeral_5m_input_tokens").GetInt64(),
                CacheWrite1h = creation.GetProperty("ephemeral_1h_input_tokens").GetInt64(),
                Output = usage.GetProperty("output_tokens").GetInt64(),
            };
            Assert.Equal(usage.GetProperty("cache_creation_input_tokens").GetInt64(), reported.CacheWrite5m + reported.CacheWrite1h);
            Assert.Equal(reported, row.Usage);
            Assert.Equal(("anthropic.messages", call == "messages.stream"), (row.Route, row.Streamed));
            AssertBilled(row, id, reported);
        }
        // The first call wrote the marked system prompt, the second read it.
        Assert.True(calls.Select(c => rows.Single(r => r.ProviderRequestId == c.Id)).ToList() is [{ Usage.CacheWrite5m: > 0 }, { Usage.CacheRead: > 0 }]);
    }

    private void AssertBilled(LedgerEntry row, string id, TokenUsage reported)
    {
        Assert.False(row.Estimated);
        Assert.Equal(LedgerOutcome.Ok, row.Outcome);
        var bill = Gateway.Bill.Find(id);
        Assert.NotNull(bill);
        Assert.Equal(bill.Usage, row.Usage);
        Assert.Equal(Gateway.BilledNanos([bill]), row.CostNanos);
        Assert.Equal(CatalogPrice.Nanos(bill.Model, reported), row.CostNanos);
        Assert.True(row.CostNanos > 0);
    }

    private async Task<IReadOnlyList<LedgerEntry>> RowsAsync(string person, int count)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            var rows = (await Gateway.LedgerAsync()).Where(r => r.Person == person).ToList();
            if (rows.Count >= count || DateTime.UtcNow > deadline)
            {
                Assert.Equal(count, rows.Count);
                Assert.All(rows, r => Assert.Equal("web", r.Team));
                return rows;
            }
            await Task.Delay(20);
        }
    }

    private static async Task<List<(string Call, string Id, JsonElement Usage)>> RunAsync(string script, string package, Dictionary<string, string> environment)
    {
        var path = AgentTools.Script(script, package);
        environment["HOME"] = AgentTools.Directory;
        var run = await ChildProcess.RunAsync(AgentTools.Node, [path], environment, AgentTools.Directory, TimeSpan.FromSeconds(60));
        Assert.True(run.ExitCode == 0, $"node {script}: exit {run.ExitCode}. stdout: {run.Stdout} stderr: {run.Stderr}");
        return [.. run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line =>
        {
            var e = JsonDocument.Parse(line).RootElement;
            return (e.GetProperty("call").GetString()!, e.GetProperty("id").GetString()!, e.GetProperty("usage"));
        })];
    }
}
