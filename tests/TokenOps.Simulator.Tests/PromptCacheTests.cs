using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using TokenOps.Simulator.Generation;

namespace TokenOps.Simulator.Tests;

/// <summary>The simulated provider prompt cache (SimulatorPromptCache) through the usage rules, on a fake clock.</summary>
public sealed class PromptCacheTests
{
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 3, 2, 9, 0, 0, TimeSpan.Zero));
    private readonly SimulatorPromptCache _cache;

    public PromptCacheTests() => _cache = new SimulatorPromptCache(new SimulatorOptions { TimeProvider = _clock });

    // A system prompt of n tokens (4 bytes a token): with its message overhead the prefix is n + 4.
    private static string Text(int tokens, char c = 's') => new(c, tokens * 4);

    private static string SystemBody(int systemTokens, string question, string? ttl = null, char c = 's') => $$$"""
        {"system":[{"type":"text","text":"{{{Text(systemTokens, c)}}}",{{{Marker(ttl)}}}}],
         "messages":[{"role":"user","content":"{{{question}}}"}]}
        """;

    private static string Marker(string? ttl = null) =>
        ttl is null ? "\"cache_control\":{\"type\":\"ephemeral\"}" : $"\"cache_control\":{{\"type\":\"ephemeral\",\"ttl\":\"{ttl}\"}}";

    private UsagePlan Anthropic(string body, string model = "claude-sonnet-4-5") =>
        UsageRules.AnthropicMessages(JsonDocument.Parse(body).RootElement, model, 256, _cache);

    private UsagePlan Chat(string body, string model = "gpt-4.1") =>
        UsageRules.OpenAIChat(JsonDocument.Parse(body).RootElement, model, null, _cache);

    [Fact]
    public void Anthropic_FirstRequestWrites_TheNextReads_UntilFiveMinutesOfIdleTime()
    {
        const long prefix = 4 + 2000;
        var first = Anthropic(SystemBody(2000, "q1"));
        Assert.Equal((0L, prefix, 0L), (first.CacheRead, first.CacheWrite5m, first.CacheWrite1h));
        Assert.Equal(first.InputTotal - prefix, first.UncachedInput);

        _clock.Advance(TimeSpan.FromMinutes(4));
        var second = Anthropic(SystemBody(2000, "q2"));
        Assert.Equal((prefix, 0L, 0L), (second.CacheRead, second.CacheWrite5m, second.CacheWrite1h));

        // The read refreshed the TTL: 4 more minutes (8 after the write) still read.
        _clock.Advance(TimeSpan.FromMinutes(4));
        Assert.Equal(prefix, Anthropic(SystemBody(2000, "q3")).CacheRead);

        _clock.Advance(TimeSpan.FromMinutes(5) + TimeSpan.FromSeconds(1));
        var expired = Anthropic(SystemBody(2000, "q4"));
        Assert.Equal((0L, prefix), (expired.CacheRead, expired.CacheWrite5m));
    }

    [Fact]
    public void Anthropic_OneHourTtl_WritesAtTheOneHourBucket_AndOutlivesFiveMinutes()
    {
        const long prefix = 4 + 1500;
        var first = Anthropic(SystemBody(1500, "q1", "1h"));
        Assert.Equal((0L, 0L, prefix), (first.CacheRead, first.CacheWrite5m, first.CacheWrite1h));

        _clock.Advance(TimeSpan.FromMinutes(50));
        Assert.Equal(prefix, Anthropic(SystemBody(1500, "q2", "1h")).CacheRead);
        // A 5-minute breakpoint reads the same prefix; the entry keeps its hour.
        _clock.Advance(TimeSpan.FromMinutes(50));
        Assert.Equal(prefix, Anthropic(SystemBody(1500, "q3")).CacheRead);
        _clock.Advance(TimeSpan.FromMinutes(59));
        Assert.Equal(prefix, Anthropic(SystemBody(1500, "q4", "1h")).CacheRead);

        _clock.Advance(TimeSpan.FromMinutes(61));
        var expired = Anthropic(SystemBody(1500, "q5", "1h"));
        Assert.Equal((0L, prefix), (expired.CacheRead, expired.CacheWrite1h));
    }

    [Fact]
    public void Anthropic_MixedTtls_SplitTheWriteAtEachBreakpoint()
    {
        var body = $$$"""
            {"system":[{"type":"text","text":"{{{Text(1100)}}}","cache_control":{"type":"ephemeral","ttl":"1h"}}],
             "messages":[{"role":"user","content":[
                {"type":"text","text":"{{{Text(100, 'm')}}}","cache_control":{"type":"ephemeral"}},
                {"type":"text","text":"question"}]}]}
            """;
        var plan = Anthropic(body);
        const long systemPrefix = 4 + 1100, fullPrefix = systemPrefix + 4 + 100;
        Assert.Equal(fullPrefix + 2 + 3, plan.InputTotal);
        Assert.Equal((0L, systemPrefix, fullPrefix - systemPrefix), (plan.CacheRead, plan.CacheWrite1h, plan.CacheWrite5m));
        Assert.Equal(5, plan.UncachedInput);

        var again = Anthropic(body);
        Assert.Equal((fullPrefix, 0L, 0L), (again.CacheRead, again.CacheWrite1h, again.CacheWrite5m));
    }

    [Theory]
    [InlineData("claude-sonnet-4-5", 1019, false)] // 1,023 tokens: one short of 1,024
    [InlineData("claude-sonnet-4-5", 1020, true)]
    [InlineData("claude-haiku-4-5", 3000, false)]  // Haiku 4.5 caches from 4,096 tokens
    [InlineData("claude-haiku-4-5", 4092, true)]
    [InlineData("claude-opus-4-5", 2100, false)]
    [InlineData("claude-opus-5", 600, true)]       // Opus 5 from 512
    public void Anthropic_APrefixBelowTheModelsMinimumIsNeverCached(string model, int systemTokens, bool cached)
    {
        var first = Anthropic(SystemBody(systemTokens, "q1"), model);
        var second = Anthropic(SystemBody(systemTokens, "q2"), model);
        Assert.Equal(cached ? systemTokens + 4 : 0, first.CacheWrite5m);
        Assert.Equal(cached ? systemTokens + 4 : 0, second.CacheRead);
        if (!cached) Assert.Equal(second.InputTotal, second.UncachedInput);
    }

    [Fact]
    public void Anthropic_AGrowingConversation_ReadsThePreviousTurnsPrefixBackThroughTheLookback()
    {
        // Breakpoints on the system prompt and on the last block before the new question, as the gateway's help puts them.
        string Body(int turns)
        {
            var messages = new List<string>();
            for (var t = 0; t < turns; t++)
            {
                var last = t == turns - 1;
                messages.Add($$"""{"role":"user","content":[{"type":"text","text":"question {{t}} {{Text(50, 'q')}}"}]}""");
                if (!last)
                {
                    var marker = t == turns - 2 ? ""","cache_control":{"type":"ephemeral"}""" : "";
                    messages.Add($$$"""{"role":"assistant","content":[{"type":"text","text":"answer {{{t}}} {{{Text(80, 'a')}}}"{{{marker}}}}]}""");
                }
            }

            return $$$"""{"system":[{"type":"text","text":"{{{Text(1200)}}}","cache_control":{"type":"ephemeral"}}],"messages":[{{{string.Join(',', messages)}}}]}""";
        }

        var one = Anthropic(Body(1));
        Assert.Equal(1204, one.CacheWrite5m);
        var two = Anthropic(Body(2));
        Assert.Equal(1204, two.CacheRead); // the system prompt; the first turn is written
        var turnTokens = two.CacheWrite5m;
        Assert.True(turnTokens > 100);
        var three = Anthropic(Body(3));
        Assert.Equal(1204 + turnTokens, three.CacheRead); // turn 2's breakpoint, found two blocks back
        Assert.Equal(three.InputTotal, three.CacheRead + three.CacheWrite5m + three.UncachedInput);
    }

    [Fact]
    public void Anthropic_TheLookbackStopsAfterTwentyBlocks()
    {
        // One request caches a prefix ending at block 1; the next has its only breakpoint 21 blocks later.
        string Body(bool late) => $$"""
            {"system":[{"type":"text","text":"{{Text(1100)}}"{{(late ? "" : ""","cache_control":{"type":"ephemeral"}""")}}}],
             "messages":[{"role":"user","content":[{{string.Join(',', Enumerable.Range(0, 21).Select(i =>
                 $$"""{"type":"text","text":"block {{i}}"{{(late && i == 20 ? ""","cache_control":{"type":"ephemeral"}""" : "")}}}"""))}}]}]}
            """;
        Assert.Equal(1104, Anthropic(Body(late: false)).CacheWrite5m);
        var late = Anthropic(Body(late: true));
        Assert.Equal(0, late.CacheRead);
        Assert.Equal(late.InputTotal - 3, late.CacheWrite5m);
    }

    [Fact]
    public void Anthropic_TopLevelCacheControl_CachesTheWholeConversation()
    {
        var body = $$"""{"cache_control":{"type":"ephemeral"},"messages":[{"role":"user","content":"{{Text(1100)}}"}]}""";
        var first = Anthropic(body);
        Assert.Equal(3, first.UncachedInput);
        Assert.Equal(1104, first.CacheWrite5m);
        Assert.Equal(1104, Anthropic(body).CacheRead);
    }

    [Fact]
    public void Anthropic_AMarkerOnAToolChangesNeitherItsTokensNorTheOutput()
    {
        const string tool = """{"name":"search","description":"looks things up","input_schema":{"type":"object"}}""";
        const string marked = """{"cache_control":{"type":"ephemeral"},"name":"search","description":"looks things up","input_schema":{"type":"object"}}""";
        const string markedLast = """{"name":"search","description":"looks things up","input_schema":{"type":"object"} , "cache_control":{"type":"ephemeral"}}""";
        string Body(string t) => $$"""{"tools":[{{t}}],"messages":[{"role":"user","content":"hi"}]}""";
        var plain = UsageRules.AnthropicMessages(JsonDocument.Parse(Body(tool)).RootElement, "claude-sonnet-4-5", 256);
        foreach (var other in new[] { marked, markedLast })
        {
            var plan = UsageRules.AnthropicMessages(JsonDocument.Parse(Body(other)).RootElement, "claude-sonnet-4-5", 256);
            Assert.Equal((plain.InputTotal, plain.Output, plain.Seed), (plan.InputTotal, plan.Output, plan.Seed));
        }
    }

    [Fact]
    public void Anthropic_TheSameSequenceGivesTheSameUsage()
    {
        var bodies = Enumerable.Range(0, 6).Select(i => SystemBody(1500 + (i % 2) * 10, $"q{i}", i % 3 == 0 ? "1h" : null)).ToList();
        List<UsagePlan> Run()
        {
            var clock = new FakeTimeProvider(_clock.GetUtcNow());
            var cache = new SimulatorPromptCache(new SimulatorOptions { TimeProvider = clock });
            return bodies.Select(b =>
            {
                clock.Advance(TimeSpan.FromMinutes(2));
                return UsageRules.AnthropicMessages(JsonDocument.Parse(b).RootElement, "claude-sonnet-4-5", 256, cache);
            }).ToList();
        }

        Assert.Equal(Run(), Run());
    }

    [Fact]
    public void OpenAI_APromptIsCachedIn128TokenStepsFrom1024_OnlyOnceSeen()
    {
        var body = $$"""{"messages":[{"role":"user","content":"{{Text(2000)}}"}]}""";
        var first = Chat(body);
        Assert.Equal(2000 + 4 + 3, first.InputTotal);
        Assert.Equal(0, first.CacheRead);
        var second = Chat(body);
        Assert.Equal(1024 + 7 * 128, second.CacheRead); // 1,920: the longest step within 2,007 tokens
        Assert.Equal(0, second.CacheWrite5m);

        // A prompt that shares the first 1,500 tokens: the longest common step is 1,408 (1,024 + 3 x 128).
        var branch = Chat($$"""{"messages":[{"role":"user","content":"{{Text(1496)}}{{Text(600, 'x')}}"}]}""");
        Assert.Equal(1408, branch.CacheRead);

        var shortPrompt = $$"""{"messages":[{"role":"user","content":"{{Text(1000)}}"}]}""";
        Chat(shortPrompt);
        Assert.Equal(0, Chat(shortPrompt).CacheRead); // 1,007 tokens: below 1,024, never cached
    }

    [Fact]
    public void OpenAI_TheCacheExpiresAfterFiveMinutesIdle_OrADayWithExtendedRetention()
    {
        var body = $$"""{"messages":[{"role":"user","content":"{{Text(1200)}}"}]}""";
        var kept = $$"""{"prompt_cache_retention":"24h","messages":[{"role":"user","content":"{{Text(1200, 'k')}}"}]}""";
        Chat(body);
        Chat(kept);
        _clock.Advance(TimeSpan.FromMinutes(5) + TimeSpan.FromSeconds(1));
        Assert.Equal(0, Chat(body).CacheRead);
        _clock.Advance(TimeSpan.FromHours(20));
        Assert.Equal(1152, Chat(kept).CacheRead);
    }

    [Fact]
    public void OpenAI_UnderLoad_AKeyPerSessionKeepsEachSessionOnTheMachineThatHoldsItsConversation()
    {
        // Twenty sessions share a long system prompt and take four turns each within one minute, turn by turn.
        string Body(int session, int turns, string? key)
        {
            var messages = new List<string> { $$"""{"role":"system","content":"{{Text(1500)}}"}""" };
            for (var t = 0; t < turns; t++)
            {
                messages.Add($$"""{"role":"user","content":"session {{session}} turn {{t}} {{Text(200, 'u')}}"}""");
                if (t < turns - 1) messages.Add($$"""{"role":"assistant","content":"answer {{t}} {{Text(200, 'a')}}"}""");
            }

            return (key is null ? "{" : $"{{\"prompt_cache_key\":\"{key}\",") + $$"""
                "messages":[{{string.Join(',', messages)}}]}
                """;
        }

        long CachedTotal(Func<int, string?> key)
        {
            _cache.Reset();
            long cached = 0;
            for (var turns = 1; turns <= 4; turns++)
            {
                for (var s = 0; s < 20; s++)
                {
                    cached += Chat(Body(s, turns, key(s))).CacheRead;
                }
            }

            return cached;
        }

        // Without a key all 80 requests share one route (the first 256 tokens): past 15 a minute they scatter over the
        // machines, where a session rarely finds its own earlier turns. With a key each session keeps its machine.
        var unkeyed = CachedTotal(_ => null);
        var keyed = CachedTotal(s => "session-" + s);
        Assert.True(keyed > unkeyed * 1.3, $"unkeyed {unkeyed}, keyed {keyed}");
    }

    [Fact]
    public void OpenAI_AKeyNamesAMachine_AndARouteOverflowsPast15RequestsAMinute()
    {
        // With a million machines no two routes share one.
        var cache = new SimulatorPromptCache(new SimulatorOptions { TimeProvider = _clock, PromptCacheMachines = 1_000_000 });
        string Body(string? key) => (key is null ? "{" : $"{{\"prompt_cache_key\":\"{key}\",") + $$"""
            "messages":[{"role":"system","content":"{{Text(1500)}}"},{"role":"user","content":"{{Text(300, 'u')}}"}]}
            """;
        long Cached(string? key) => UsageRules.OpenAIChat(JsonDocument.Parse(Body(key)).RootElement, "gpt-4.1", null, cache).CacheRead;

        Assert.Equal(0, Cached("a"));
        Assert.Equal(0, Cached("b")); // the same prompt under another key: another machine
        Assert.Equal(1792, Cached("a")); // 1,811 tokens: the longest step is 1,792

        cache.Reset();
        Assert.Equal(0, Cached(null));
        for (var i = 2; i <= 15; i++) Assert.Equal(1792, Cached(null));
        Assert.Equal(0, Cached(null)); // the 16th this minute goes elsewhere
        _clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(1792, Cached(null));
    }

    [Fact]
    public async Task OverHttp_MarkersAreCheckedAsTheRealApiDoes_AndTheCacheCanBeEmptied()
    {
        await using var server = await SimulatorServer.StartAsync(new SimulatorOptions { TimeProvider = _clock });
        string Blocks(params string?[] ttls) => string.Join(',', ttls.Select((ttl, i) =>
            $$$"""{"type":"text","text":"{{{Text(300, (char)('a' + i))}}}",{{{Marker(ttl)}}}}"""));
        async Task<(int Status, JsonElement Body)> Send(string system)
        {
            using var response = await server.Http.SendAsync(server.Post("/v1/messages",
                $$"""{"model":"claude-sonnet-4-5","max_tokens":32,"system":[{{system}}],"messages":[{"role":"user","content":"hi"}]}""", anthropic: true));
            return ((int)response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement);
        }

        var five = await Send(Blocks(null, null, null, null, null));
        Assert.Equal(400, five.Status);
        Assert.Contains("maximum of 4 blocks with cache_control", five.Body.GetProperty("error").GetProperty("message").GetString());
        var order = await Send(Blocks("5m", "1h"));
        Assert.Equal(400, order.Status);
        Assert.Contains("ttl='1h'", order.Body.GetProperty("error").GetProperty("message").GetString());
        Assert.Equal(400, (await Send(Blocks("2h"))).Status);
        Assert.Equal(0, server.Bill.Count);

        // Four breakpoints, 1h before 5m: accepted. The 1-hour ones end below the minimum (1,024 tokens), so only the 5-minute ones write.
        var ok = await Send(Blocks("1h", "1h", null, null));
        Assert.Equal(200, ok.Status);
        var usage = ok.Body.GetProperty("usage");
        Assert.Equal(0, usage.GetProperty("cache_creation").GetProperty("ephemeral_1h_input_tokens").GetInt64()); // 604 tokens: too short
        Assert.Equal(4 + 4 * 300, usage.GetProperty("cache_creation").GetProperty("ephemeral_5m_input_tokens").GetInt64());
        Assert.True(server.App.Services.GetRequiredService<SimulatorPromptCache>().Count > 0);

        var again = await Send(Blocks("1h", "1h", null, null));
        Assert.Equal(4 + 4 * 300, again.Body.GetProperty("usage").GetProperty("cache_read_input_tokens").GetInt64());
        using (var reset = await server.Http.DeleteAsync("/_sim/prompt-cache"))
        {
            Assert.Equal(System.Net.HttpStatusCode.NoContent, reset.StatusCode);
        }

        Assert.Equal(0, server.App.Services.GetRequiredService<SimulatorPromptCache>().Count);
        var cold = await Send(Blocks("1h", "1h", null, null));
        Assert.Equal(0, cold.Body.GetProperty("usage").GetProperty("cache_read_input_tokens").GetInt64());
    }

    [Fact]
    public void Capacity_BoundsTheEntriesHeld()
    {
        var cache = new SimulatorPromptCache(new SimulatorOptions { TimeProvider = _clock, PromptCacheCapacity = 50 });
        for (var i = 0; i < 40; i++)
        {
            UsageRules.OpenAIChat(JsonDocument.Parse($$"""{"messages":[{"role":"user","content":"{{i}} {{Text(1500)}}"}]}""").RootElement, "gpt-4.1", null, cache);
        }

        Assert.InRange(cache.Count, 1, 50);
    }

    [Fact]
    public void Minimums_AreTheCatalogsPromptCacheMinTokens()
    {
        using var catalog = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "catalog.json")));
        var checkedModels = 0;
        foreach (var entry in catalog.RootElement.EnumerateObject())
        {
            if (entry.Value.ValueKind == JsonValueKind.Object
                && entry.Value.TryGetProperty("litellm_provider", out var provider) && provider.GetString() == "anthropic"
                && entry.Value.TryGetProperty("prompt_cache_min_tokens", out var minimum))
            {
                Assert.True(minimum.GetInt32() == PromptCacheMinimums.For(entry.Name), $"{entry.Name}: catalog {minimum.GetInt32()}, simulator {PromptCacheMinimums.For(entry.Name)}");
                checkedModels++;
            }
        }

        Assert.True(checkedModels > 10);
        Assert.Equal(1024, PromptCacheMinimums.For("gpt-4.1"));
    }
}
