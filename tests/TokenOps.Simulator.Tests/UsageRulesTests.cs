using System.Text.Json;
using TokenOps.Simulator.Generation;

namespace TokenOps.Simulator.Tests;

/// <summary>The deterministic usage rules (Generation/UsageRules.cs) on their own.</summary>
public sealed class UsageRulesTests
{
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
    public void Anthropic_WithoutACache_CountsTheSameInputAllUncached()
    {
        var plan = Anthropic($$$"""{"system":[{"type":"text","text":"{{{new string('s', 8000)}}}","cache_control":{"type":"ephemeral"}}],"messages":[{"role":"user","content":"abcdefgh"}]}""");
        Assert.Equal(4 + 2000 + 4 + 2 + 3, plan.InputTotal);
        Assert.Equal(plan.InputTotal, plan.UncachedInput);
    }

    private static UsagePlan Chat(string body, string model) =>
        UsageRules.OpenAIChat(JsonDocument.Parse(body).RootElement, model, null);

    private static UsagePlan Anthropic(string body) =>
        UsageRules.AnthropicMessages(JsonDocument.Parse(body).RootElement, "claude-sonnet-4-5", 4096);
}
