using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using TokenOps.Core.Ledger;
using TokenOps.Core.Pricing;
using TokenOps.Core.Savings;
using TokenOps.Gateway.Pipeline;
using TokenOps.Gateway.Tests.Infrastructure;
using TokenOps.Simulator;
using Xunit.Abstractions;

namespace TokenOps.Gateway.Tests.PromptCache;

/// <summary>
/// Prompt-cache help end to end: the same agent session through a real gateway and the simulated provider (whose prompt
/// cache is stateful, on a fake clock), once by a team without the help and once by a team with it. The difference in
/// cost is what the ledger's cache-breakpoint savings of the helped run say, to the nano-dollar.
/// </summary>
public sealed class PromptCacheSessionTests(ITestOutputHelper output)
{
    private const string Model = "claude-sonnet-4-5";

    // About 4,000 simulator tokens of instructions and 1,000 of tools: far above Sonnet 4.5's 1,024-token minimum.
    private static readonly string SystemPrompt = string.Join('\n', Enumerable.Range(0, 160).Select(i =>
        $"Rule {i}: when you change the payments service, keep every ledger row exact and explain the change in one line."));

    private static readonly JsonArray Tools = new(Enumerable.Range(0, 8).Select(i => (JsonNode)new JsonObject
    {
        ["name"] = $"tool_{i}",
        ["description"] = $"Tool {i} reads, searches or edits files in the repository; it returns the affected lines with their numbers and a short summary of what changed.",
        ["input_schema"] = new JsonObject
        {
            ["type"] = "object",
            ["properties"] = new JsonObject { ["path"] = new JsonObject { ["type"] = "string" }, ["query"] = new JsonObject { ["type"] = "string" } },
        },
    }).ToArray());

    private static async Task<GatewayFixture> StartAsync(FakeTimeProvider clock) =>
        await GatewayFixture.StartAsync(o => o.PromptCache.Teams["helped"] = new() { Enabled = true },
            new SimulatorOptions { TimeProvider = clock });

    [Fact]
    public async Task A20TurnAgentSession_CostsLessWithTheHelp_ByExactlyTheLedgersCacheBreakpointSavings()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 3, 2, 9, 0, 0, TimeSpan.Zero));
        await using var gateway = await StartAsync(clock);

        var plain = await RunAnthropicSessionAsync(gateway, clock, gateway.CreateKey("pat", "plain"), helped: false);
        gateway.Simulator.Services.GetRequiredService<SimulatorPromptCache>().Reset();
        var helped = await RunAnthropicSessionAsync(gateway, clock, gateway.CreateKey("hal", "helped"), helped: true);

        Assert.Equal(20, plain.Count);
        Assert.Equal(20, helped.Count);
        for (var turn = 0; turn < 20; turn++)
        {
            // The markers change no token count and no answer: the same tokens, priced differently.
            Assert.Equal(plain[turn].Usage.TotalInput, helped[turn].Usage.TotalInput);
            Assert.Equal(plain[turn].Usage.Output, helped[turn].Usage.Output);
            Assert.Equal(0, plain[turn].Usage.CacheRead + plain[turn].Usage.CacheWrite5m + plain[turn].Usage.CacheWrite1h);
            Assert.Null(plain[turn].Levers);
            Assert.True(plain[turn].Savings.IsZero);
            Assert.Equal(SavingsLevers.CacheBreakpoint, helped[turn].Levers);
            Assert.Equal(LedgerOutcome.Ok, helped[turn].Outcome);
        }
        // The first turn writes the prefix (at 1.25x: a negative saving); every later one reads the turns before it.
        Assert.True(helped[0].Usage.CacheWrite5m > 4000 && helped[0].Usage.CacheRead == 0);
        Assert.True(helped[0].Savings.CacheBreakpoint < 0);
        Assert.All(helped.Skip(1), r => Assert.True(r.Usage.CacheRead >= helped[0].Usage.CacheWrite5m));
        Assert.True(helped[^1].Usage.CacheRead > helped[1].Usage.CacheRead, "the cached prefix grows with the conversation");

        var plainCost = plain.Sum(r => r.CostNanos);
        var helpedCost = helped.Sum(r => r.CostNanos);
        var saved = helped.Sum(r => r.Savings.NanosOf(SavingsLevers.CacheBreakpoint));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"20 turns of {Model}: without help {NanoUsd.ToUsd(plainCost):0.000000000} USD, with help {NanoUsd.ToUsd(helpedCost):0.000000000} USD; " +
            $"difference {NanoUsd.ToUsd(plainCost - helpedCost):0.000000000} USD; ledger cache-breakpoint savings {NanoUsd.ToUsd(saved):0.000000000} USD " +
            $"({100.0 * (plainCost - helpedCost) / plainCost:0.0} % off)"));
        Assert.True(helpedCost < plainCost);
        Assert.Equal(plainCost - helpedCost, saved);
        // As asked (no breakpoints added), the helped session costs what the plain one did.
        Assert.Equal(plainCost, helped.Sum(r => r.AsAskedNanos));

        // The provider's own bill agrees with the ledger, run by run.
        foreach (var run in new[] { plain, helped })
            Assert.Equal(gateway.BilledNanos(run.Select(r => gateway.Bill.Find(r.ProviderRequestId!)!)), run.Sum(r => r.CostNanos));
    }

    [Fact]
    public async Task AClientsOwnBreakpointsPassThroughUntouched_AndAShortPromptGetsNone()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 3, 2, 9, 0, 0, TimeSpan.Zero));
        await using var gateway = await StartAsync(clock);
        using var http = gateway.Client(gateway.CreateKey("cleo", "helped"));
        http.DefaultRequestHeaders.Add("anthropic-version", "2023-06-01");
        async Task<(JsonNode Usage, bool Helped, string Id)> Send(JsonNode system)
        {
            var body = new JsonObject
            {
                ["model"] = Model, ["max_tokens"] = 100, ["tools"] = Tools.DeepClone(), ["system"] = system.DeepClone(),
                ["messages"] = new JsonArray(
                    new JsonObject { ["role"] = "user", ["content"] = "first question" },
                    new JsonObject { ["role"] = "assistant", ["content"] = "first answer" },
                    new JsonObject { ["role"] = "user", ["content"] = "second question" }),
            };
            using var response = await http.PostAsync("/v1/messages", new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"));
            var answer = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
            return (answer["usage"]!, response.Headers.Contains(PromptCacheStage.Header), answer["id"]!.GetValue<string>());
        }

        // The client marks only its system prompt, for an hour: the gateway adds nothing (no 5-minute write of the turns).
        var own = new JsonArray(new JsonObject
        {
            ["type"] = "text", ["text"] = SystemPrompt, ["cache_control"] = new JsonObject { ["type"] = "ephemeral", ["ttl"] = "1h" },
        });
        var first = await Send(own);
        Assert.False(first.Helped);
        Assert.True(first.Usage["cache_creation"]!["ephemeral_1h_input_tokens"]!.GetValue<long>() > 4000);
        Assert.Equal(0, first.Usage["cache_creation"]!["ephemeral_5m_input_tokens"]!.GetValue<long>());
        var second = await Send(own);
        Assert.Equal(first.Usage["cache_creation_input_tokens"]!.GetValue<long>(), second.Usage["cache_read_input_tokens"]!.GetValue<long>());

        // A short prompt (with the tools about 800 tokens) is below Sonnet's 1,024: nothing is added.
        var small = await Send(JsonValue.Create("Be brief.")!);
        Assert.False(small.Helped);
        Assert.Equal(0, small.Usage["cache_creation_input_tokens"]!.GetValue<long>());

        var rows = await RowsAsync(gateway, [first.Id, second.Id, small.Id]);
        Assert.All(rows, r => Assert.Null(r.Levers));
    }

    [Fact]
    public async Task OpenAISessionsSharingASystemPrompt_KeepTheirCacheWithAKeyPerSession()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 3, 2, 9, 0, 0, TimeSpan.Zero));
        await using var gateway = await StartAsync(clock);

        // Twenty sessions of four turns each within one minute (turn by turn, as concurrent agents would), all opening
        // with the same long system prompt.
        async Task<List<LedgerEntry>> Run(string team, string person)
        {
            using var http = gateway.Client(gateway.CreateKey(person, team));
            var ids = new List<string>();
            var sessions = Enumerable.Range(0, 20).Select(s => new JsonArray(
                new JsonObject { ["role"] = "system", ["content"] = SystemPrompt },
                new JsonObject { ["role"] = "user", ["content"] = $"Session {s}: review the diff of ticket {s * 7}." })).ToList();
            for (var turn = 0; turn < 4; turn++)
            {
                foreach (var messages in sessions)
                {
                    var body = new JsonObject { ["model"] = "gpt-4.1", ["max_tokens"] = 200, ["messages"] = messages.DeepClone() };
                    using var response = await http.PostAsync("/v1/chat/completions", new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"));
                    Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
                    Assert.Equal(team == "helped" ? "prompt_cache_key" : null, response.Headers.TryGetValues(PromptCacheStage.Header, out var v) ? v.Single() : null);
                    var answer = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
                    ids.Add(answer["id"]!.GetValue<string>());
                    messages.Add(new JsonObject { ["role"] = "assistant", ["content"] = answer["choices"]![0]!["message"]!["content"]!.GetValue<string>() });
                    messages.Add(new JsonObject { ["role"] = "user", ["content"] = $"Now step {turn}: " + string.Join(' ', Enumerable.Repeat("check the ledger rows", 40)) });
                }
            }
            return await RowsAsync(gateway, ids);
        }

        var plain = await Run("plain", "pia");
        clock.Advance(TimeSpan.FromMinutes(1));
        gateway.Simulator.Services.GetRequiredService<SimulatorPromptCache>().Reset();
        var helped = await Run("helped", "hugo");

        var plainCached = plain.Sum(r => r.Usage.CacheRead);
        var helpedCached = helped.Sum(r => r.Usage.CacheRead);
        output.WriteLine($"OpenAI, 20 sessions x 4 turns in a minute: cached tokens {plainCached} without keys, {helpedCached} with; cost {plain.Sum(r => r.CostNanos)} vs {helped.Sum(r => r.CostNanos)} nano-USD");
        // Without a key all 80 requests share one cache route: past 15 a minute they scatter over the provider's machines
        // and rarely find their own session's earlier turns; with a key each session keeps its machine.
        Assert.True(helpedCached > plainCached, $"{helpedCached} vs {plainCached}");
        Assert.True(helped.Sum(r => r.CostNanos) < plain.Sum(r => r.CostNanos));
        // The key is recorded as the lever, with no amount: OpenAI caches without a key too.
        Assert.All(helped, r => Assert.Equal((SavingsLevers.CacheBreakpoint, 0L), (r.Levers, r.Savings.TotalNanos)));
        Assert.All(plain, r => Assert.Null(r.Levers));
    }

    /// <summary>A coding agent's session: each turn sends the whole conversation so far plus a new file excerpt and instruction.</summary>
    private async Task<List<LedgerEntry>> RunAnthropicSessionAsync(GatewayFixture gateway, FakeTimeProvider clock, string key, bool helped)
    {
        using var http = gateway.Client();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        http.DefaultRequestHeaders.Add("anthropic-version", "2023-06-01");
        var messages = new JsonArray();
        var ids = new List<string>();
        for (var turn = 0; turn < 20; turn++)
        {
            var excerpt = string.Join('\n', Enumerable.Range(0, 12).Select(line => $"{turn * 100 + line}: ledger.Record(row{line}, cost: {line * turn} nanos);"));
            messages.Add(new JsonObject
            {
                ["role"] = "user",
                ["content"] = new JsonArray(
                    new JsonObject { ["type"] = "text", ["text"] = $"File excerpt {turn}:\n{excerpt}" },
                    new JsonObject { ["type"] = "text", ["text"] = $"Step {turn}: fix what is wrong in this excerpt." }),
            });
            var body = new JsonObject
            {
                ["model"] = Model,
                ["max_tokens"] = 400,
                ["tools"] = Tools.DeepClone(),
                ["system"] = SystemPrompt,
                ["messages"] = messages.DeepClone(),
            };
            using var response = await http.PostAsync("/v1/messages", new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"));
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.IsSuccessStatusCode, text);
            Assert.Equal(helped, response.Headers.Contains(PromptCacheStage.Header));
            var answer = JsonNode.Parse(text)!;
            ids.Add(answer["id"]!.GetValue<string>());
            messages.Add(new JsonObject
            {
                ["role"] = "assistant",
                ["content"] = new JsonArray(new JsonObject { ["type"] = "text", ["text"] = answer["content"]![0]!["text"]!.GetValue<string>() }),
            });
            clock.Advance(TimeSpan.FromSeconds(30)); // an agent's pace: well within the 5-minute TTL
        }
        return await RowsAsync(gateway, ids);
    }

    /// <summary>The ledger rows of these provider responses, in order, once all are written (settling ends just after the answer).</summary>
    private static async Task<List<LedgerEntry>> RowsAsync(GatewayFixture gateway, List<string> ids)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            var rows = (await gateway.LedgerAsync()).Where(r => r.ProviderRequestId is not null).ToDictionary(r => r.ProviderRequestId!);
            if (ids.All(rows.ContainsKey) || DateTime.UtcNow > deadline) return ids.Select(id => rows[id]).ToList();
            await Task.Delay(20);
        }
    }
}
