using System.Text.Json;
using Xunit;

namespace TokenOps.Routing.Tests.Prompts;

public class RoutePromptReaderTests
{
    private static RoutePrompt Read(string json)
    {
        using var doc = JsonDocument.Parse(json);
        return RoutePromptReader.Read(doc.RootElement);
    }

    [Fact]
    public void OpenAI_chat_body_with_system_developer_and_content_parts()
    {
        var p = Read("""
        {"model":"auto","max_completion_tokens":500,"tools":[{"type":"function","function":{"name":"f"}},{"type":"function","function":{"name":"g"}}],
         "messages":[
           {"role":"system","content":"Be brief."},
           {"role":"developer","content":[{"type":"text","text":"Use metric units."}]},
           {"role":"user","content":"What is 2+2?"},
           {"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{\"x\":1}"}}]},
           {"role":"tool","tool_call_id":"c1","content":"4"},
           {"role":"user","content":[{"type":"text","text":"And 3+3?"},{"type":"image_url","image_url":{"url":"data:..."}}]}
         ]}
        """);
        Assert.Equal("Be brief.\nUse metric units.", p.System);
        Assert.Equal(["user", "assistant", "tool", "user"], p.Turns.Select(t => t.Role));
        Assert.Equal("{\"x\":1}", p.Turns[1].Text);
        Assert.Equal("And 3+3?", p.LastUserText);
        Assert.Equal(2, p.ToolCount);
        Assert.Equal(500, p.RequestedOutputTokens);
        Assert.Equal(2, p.UserTurns);
    }

    [Fact]
    public void Anthropic_messages_body_with_system_blocks_tool_use_and_tool_results()
    {
        var p = Read("""
        {"model":"auto","max_tokens":1024,"system":[{"type":"text","text":"You are a tutor."},{"type":"text","text":"Cite sources."}],
         "tools":[{"name":"search","input_schema":{}}],
         "messages":[
           {"role":"user","content":"Prove that sqrt(2) is irrational."},
           {"role":"assistant","content":[{"type":"text","text":"Searching."},{"type":"tool_use","id":"t1","name":"search","input":{"q":"sqrt 2"}}]},
           {"role":"user","content":[{"type":"tool_result","tool_use_id":"t1","content":[{"type":"text","text":"result text"}]}]}
         ]}
        """);
        Assert.Equal("You are a tutor.\nCite sources.", p.System);
        Assert.Equal(["user", "assistant", "tool"], p.Turns.Select(t => t.Role));
        Assert.Contains("\"q\":\"sqrt 2\"", p.Turns[1].Text);
        Assert.Equal("result text", p.Turns[2].Text);
        // The tool result is not a new question: the question is still the first user turn.
        Assert.Equal("Prove that sqrt(2) is irrational.", p.LastUserText);
        Assert.Equal(1, p.ToolCount);
        Assert.Equal(1024, p.RequestedOutputTokens);
    }

    [Fact]
    public void Responses_body_with_instructions_and_input_string()
    {
        var p = Read("""{"model":"auto","instructions":"Answer in French.","input":"Explain recursion.","max_output_tokens":300}""");
        Assert.Equal("Answer in French.", p.System);
        Assert.Equal("Explain recursion.", p.LastUserText);
        Assert.Equal(300, p.RequestedOutputTokens);
    }

    [Fact]
    public void Responses_body_with_input_items()
    {
        var p = Read("""
        {"input":[{"role":"user","content":[{"type":"input_text","text":"Summarise this."}]},
                  {"type":"function_call","name":"f","arguments":"{}"},
                  {"type":"function_call_output","call_id":"c","output":"done"},
                  {"role":"assistant","content":[{"type":"output_text","text":"Sure."}]}]}
        """);
        Assert.Equal(["user", "tool", "tool", "assistant"], p.Turns.Select(t => t.Role));
        Assert.Equal("done", p.Turns[2].Text);
        Assert.Equal("Summarise this.", p.LastUserText);
    }

    [Fact]
    public void Prompt_line()
    {
        var p = Read("""{"prompt":"hi"}""");
        Assert.Null(p.System);
        Assert.Equal("hi", p.LastUserText);
        Assert.Equal(0, p.ToolCount);
        Assert.Null(p.RequestedOutputTokens);
    }

    [Theory]
    [InlineData("[]")]
    [InlineData("42")]
    [InlineData("\"text\"")]
    [InlineData("null")]
    [InlineData("{}")]
    [InlineData("""{"messages":"not a list","system":7,"input":{"odd":true},"tools":"x","max_tokens":"many"}""")]
    [InlineData("""{"messages":[1,null,"plain string",{"role":5,"content":{"nested":{"text":["a",3]}}},{"content":[{"type":"image"}]}]}""")]
    [InlineData("""{"max_tokens":-5,"messages":[{"role":"user"}]}""")]
    public void Junk_shapes_never_throw_and_score(string json)
    {
        var p = Read(json);
        Assert.Null(p.RequestedOutputTokens);
        var score = StrongScorer.LoadDefault().Score(p);
        Assert.InRange(score.StrongScore, 0, 1);
        Assert.NotEmpty(score.Reasons);
    }

    [Fact]
    public void Deep_nesting_is_bounded()
    {
        var json = "{\"messages\":[{\"role\":\"user\",\"content\":" + string.Concat(Enumerable.Repeat("[", 60)) + "\"deep\"" + string.Concat(Enumerable.Repeat("]", 60)) + "}]}";
        var p = Read(json);
        Assert.Equal("", p.LastUserText);
    }
}
