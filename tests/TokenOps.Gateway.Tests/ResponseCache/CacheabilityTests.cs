using System.Text.Json;
using TokenOps.Gateway.ResponseCache;

namespace TokenOps.Gateway.Tests.ResponseCache;

public sealed class CacheabilityTests
{
    private static string? Refusal(string route, string json, bool tools = false)
    {
        using var doc = JsonDocument.Parse(json);
        return Cacheability.Refusal(route, doc.RootElement, tools);
    }

    [Theory]
    [InlineData("""{"messages":[]}""", null)]
    [InlineData("""{"temperature":0,"messages":[]}""", null)]
    [InlineData("""{"temperature":0.0,"messages":[]}""", null)]
    [InlineData("""{"temperature":null,"messages":[]}""", null)]
    [InlineData("""{"temperature":0.2,"messages":[]}""", "temperature")]
    [InlineData("""{"temperature":1,"seed":3,"messages":[]}""", null)]
    public void Deterministic_requests_only(string json, string? refusal) => Assert.Equal(refusal, Refusal("openai.chat", json));

    [Theory]
    [InlineData("openai.chat", """{"messages":[{"role":"user","content":"a"},{"role":"tool","tool_call_id":"c","content":"r"}]}""")]
    [InlineData("anthropic.messages", """{"messages":[{"role":"user","content":[{"type":"tool_result","tool_use_id":"t","content":"r"}]}]}""")]
    [InlineData("openai.responses", """{"input":[{"type":"function_call_output","call_id":"c","output":"r"}]}""")]
    public void A_tool_result_last_is_refused_unless_enabled(string route, string json)
    {
        Assert.Equal("tool_result", Refusal(route, json));
        Assert.Null(Refusal(route, json, tools: true));
    }

    [Theory]
    [InlineData("openai.chat", """{"messages":[{"role":"tool","tool_call_id":"c","content":"r"},{"role":"user","content":"next"}]}""")]
    [InlineData("anthropic.messages", """{"messages":[{"role":"user","content":"plain"}]}""")]
    [InlineData("openai.responses", """{"input":"plain"}""")]
    public void A_tool_result_earlier_in_the_conversation_is_fine(string route, string json) => Assert.Null(Refusal(route, json));
}
