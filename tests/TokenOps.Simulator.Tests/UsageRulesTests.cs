using System.Text.Json;
using TokenOps.Simulator.Generation;

namespace TokenOps.Simulator.Tests;

/// <summary>The deterministic usage rules (Generation/UsageRules.cs) on their own.</summary>
public sealed class UsageRulesTests
{
    [Theory]
    [InlineData(0, 0)]
    [InlineData(1023, 0)]
    [InlineData(1024, 0)]
    [InlineData(1151, 0)]
    [InlineData(1152, 128)]
    [InlineData(2000, 896)]
    [InlineData(10_000, 8960)]
    public void OpenAICached_IsLargestMultipleOf128BelowInputMinus1024(long input, long cached) =>
        Assert.Equal(cached, UsageRules.OpenAICached(input));

    [Theory]
    [InlineData("o1", true)]
    [InlineData("o3-mini", true)]
    [InlineData("o4-mini", true)]
    [InlineData("gpt-5", true)]
    [InlineData("gpt-5.4-nano", true)]
    [InlineData("gpt-4o", false)]
    [InlineData("omni", false)]
    [InlineData("claude-sonnet-4-5", false)]
    public void ReasoningModels(string model, bool reasoning) => Assert.Equal(reasoning, UsageRules.IsReasoningModel(model));

    [Fact]
    public void ChatInput_CountsTextBytesOverFourPlusOverheads()
    {
        // "hello" = 5 bytes -> 2 tokens; "abcd" -> 1; 2 messages x 4; 3 priming.
        var plan = Chat("""{"messages":[{"role":"system","content":"abcd"},{"role":"user","content":[{"type":"text","text":"hello"}]}]}""", "gpt-4o");
        Assert.Equal(1 + 2 + 8 + 3, plan.InputTotal);
        Assert.InRange(plan.Output, 20, 200);
        Assert.Equal(0, plan.Reasoning);
        Assert.False(plan.Truncated);
    }

    [Fact]
    public void Output_IsDeterministic_CappedAndSplitForReasoningModels()
    {
        const string body = """{"messages":[{"role":"user","content":"same prompt"}]}""";
        var a = Chat(body, "gpt-5");
        var b = Chat(body, "gpt-5");
        Assert.Equal(a, b);
        Assert.Equal(a.Output * 2 / 5, a.Reasoning);

        var capped = UsageRules.OpenAIChat(JsonDocument.Parse(body).RootElement, "gpt-5", 10);
        Assert.Equal(10, capped.Output);
        Assert.Equal(4, capped.Reasoning);
        Assert.True(capped.Truncated);
        Assert.Equal(6, capped.VisibleWords);

        var outputs = Enumerable.Range(0, 200)
            .Select(i => Chat($$"""{"messages":[{"role":"user","content":"prompt {{i}}"}]}""", "gpt-4o").Output)
            .ToList();
        Assert.All(outputs, o => Assert.InRange(o, 20, 200));
        Assert.True(outputs.Distinct().Count() > 50, "output lengths spread over the range");
    }

    [Fact]
    public void Responses_CountsInstructionsAndStringInput()
    {
        var plan = UsageRules.OpenAIResponses(
            JsonDocument.Parse("""{"instructions":"abcd","input":"abcdefgh"}""").RootElement, "gpt-4.1", null);
        Assert.Equal(1 + 4 + 2 + 4 + 3, plan.InputTotal);
    }

    [Fact]
    public void Anthropic_NoCacheControl_AllInputUncached()
    {
        var plan = Anthropic("""{"system":"abcd","messages":[{"role":"user","content":"abcdefgh"}]}""");
        Assert.Equal(1 + 4 + 2 + 4 + 3, plan.InputTotal);
        Assert.Equal(plan.InputTotal, plan.UncachedInput);
        Assert.Equal(0, plan.CacheRead + plan.CacheWrite5m + plan.CacheWrite1h);
    }

    [Fact]
    public void Anthropic_Breakpoints_SplitWritesByTtl_OrReadWholePrefix()
    {
        var system = new string('s', 4000); // 1000 tokens
        var reads = 0;
        var writes = 0;
        for (var i = 0; i < 40; i++)
        {
            var body = $$$"""
                {"system":[{"type":"text","text":"{{{system}}}","cache_control":{"type":"ephemeral","ttl":"1h"}}],
                 "messages":[{"role":"user","content":[
                    {"type":"text","text":"{{{new string('m', 400)}}}","cache_control":{"type":"ephemeral"}},
                    {"type":"text","text":"question {{{i}}}"}]}]}
                """;
            var plan = Anthropic(body);
            var systemPrefix = 4 + 1000;
            var fullPrefix = systemPrefix + 4 + 100;
            Assert.Equal(fullPrefix + 3 + 3, plan.InputTotal);
            Assert.Equal(6, plan.UncachedInput); // "question N" (3 tokens) + priming 3
            if (plan.CacheRead > 0)
            {
                reads++;
                Assert.Equal(fullPrefix, plan.CacheRead);
                Assert.Equal(0, plan.CacheWrite1h + plan.CacheWrite5m);
            }
            else
            {
                writes++;
                Assert.Equal(systemPrefix, plan.CacheWrite1h);
                Assert.Equal(fullPrefix - systemPrefix, plan.CacheWrite5m);
            }
        }

        Assert.True(reads > 5 && writes > 5, $"reads {reads}, writes {writes}");
    }

    [Fact]
    public void Anthropic_TopLevelCacheControl_CachesTheWholeConversation()
    {
        var plan = Anthropic("""{"cache_control":{"type":"ephemeral"},"messages":[{"role":"user","content":"abcdefgh"}]}""");
        Assert.Equal(3, plan.UncachedInput);
        Assert.Equal(6, plan.CacheRead + plan.CacheWrite5m);
    }

    private static UsagePlan Chat(string body, string model) =>
        UsageRules.OpenAIChat(JsonDocument.Parse(body).RootElement, model, null);

    private static UsagePlan Anthropic(string body) =>
        UsageRules.AnthropicMessages(JsonDocument.Parse(body).RootElement, "claude-sonnet-4-5", 4096);
}
