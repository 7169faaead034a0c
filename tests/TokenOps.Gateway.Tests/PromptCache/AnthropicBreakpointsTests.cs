using System.Text;
using System.Text.Json;
using TokenOps.Gateway.Metering;
using TokenOps.Gateway.PromptCache;

namespace TokenOps.Gateway.Tests.PromptCache;

/// <summary>Where the gateway puts cache breakpoints in an Anthropic body, and where it puts none.</summary>
public sealed class AnthropicBreakpointsTests
{
    private static readonly TokenCounter Tokens = new();

    // Some 3,600 cl100k tokens: well over Sonnet's 1,024, under Haiku 4.5's 4,096.
    private static readonly string LongSystem = string.Join(' ', Enumerable.Range(0, 400).Select(i => $"Rule {i}: keep the ledger exact."));
    private static readonly string Tool = """{"name":"read_file","description":"Reads a file.","input_schema":{"type":"object","properties":{"path":{"type":"string"}}}}""";

    private static (string Body, int Added)? Add(string body, string model = "claude-sonnet-4-5", long minimum = 1024, string ttl = "5m")
    {
        var bytes = Encoding.UTF8.GetBytes(body);
        using var doc = JsonDocument.Parse(bytes);
        return AnthropicBreakpoints.Add(bytes, doc.RootElement, model, minimum, ttl, Tokens) is { } added
            ? (Encoding.UTF8.GetString(added.Body), added.Added)
            : null;
    }

    private static List<string> MarkedPaths(string body)
    {
        var marked = new List<string>();
        void Walk(JsonElement e, string path)
        {
            if (e.ValueKind == JsonValueKind.Object)
            {
                foreach (var p in e.EnumerateObject())
                {
                    if (p.NameEquals("cache_control")) marked.Add(path);
                    else Walk(p.Value, path + "." + p.Name);
                }
            }
            else if (e.ValueKind == JsonValueKind.Array)
            {
                var i = 0;
                foreach (var item in e.EnumerateArray()) Walk(item, $"{path}[{i++}]");
            }
        }
        Walk(JsonDocument.Parse(body).RootElement, "$");
        return marked;
    }

    private static string Conversation(string system, int turns, string tools = "") => $$"""
        {"model":"claude-sonnet-4-5","max_tokens":512,{{tools}}"system":{{JsonSerializer.Serialize(system)}},
         "messages":[{{string.Join(',', Enumerable.Range(0, turns).Select(t =>
            $$$"""{"role":"user","content":"question {{{t}}}"}""" + (t < turns - 1 ? $$$""",{"role":"assistant","content":[{"type":"text","text":"answer {{{t}}}"}]}""" : "")))}}]}
        """;

    [Fact]
    public void MarksTheLastTool_TheSystemPrompt_AndTheLastBlockBeforeTheNewMessage()
    {
        var tools = $"\"tools\":[{Tool},{Tool.Replace("read_file", "write_file")}],";
        var result = Add(Conversation(LongSystem, 3, tools));
        Assert.NotNull(result);
        // The tools alone are short of the minimum: no breakpoint there; the system prompt reaches it.
        Assert.Equal(["$.system[0]", "$.messages[3].content[0]"], MarkedPaths(result.Value.Body));
        Assert.Equal(2, result.Value.Added);
        // The string system prompt became one text block with the same text.
        var system = JsonDocument.Parse(result.Value.Body).RootElement.GetProperty("system");
        Assert.Equal(LongSystem, system[0].GetProperty("text").GetString());
        Assert.Equal("ephemeral", system[0].GetProperty("cache_control").GetProperty("type").GetString());
    }

    [Fact]
    public void LongToolsAreMarkedToo_AndEveryOtherBytePassesThrough()
    {
        var manyTools = string.Join(',', Enumerable.Range(0, 40).Select(i => Tool.Replace("read_file", $"tool_{i}").Replace("Reads a file.", $"Tool number {i} reads a file from the repository and returns its lines.")));
        var body = $$"""{ "model" : "claude-sonnet-4-5", "max_tokens":512, "tools" : [{{manyTools}}], "system":[{"type":"text","text":"be brief"}], "messages":[{"role":"user","content":[{"type":"text","text":"hi"}]}], "x-unknown":[1,2.50] }""";
        var result = Add(body);
        Assert.NotNull(result);
        Assert.Equal(["$.tools[39]", "$.system[0]"], MarkedPaths(result.Value.Body));
        // Only the markers were inserted.
        Assert.Equal(body, result.Value.Body.Replace("\"cache_control\":{\"type\":\"ephemeral\"},", ""));
    }

    [Fact]
    public void ABodyThatAlreadyHasCacheControl_AnywhereAndInAnySpelling_IsLeftAlone()
    {
        var system = JsonSerializer.Serialize(LongSystem);
        Assert.Null(Add($$$"""{"system":[{"type":"text","text":{{{system}}},"cache_control":{"type":"ephemeral"}}],"messages":[{"role":"user","content":"a"},{"role":"assistant","content":"b"},{"role":"user","content":"c"}]}"""));
        Assert.Null(Add($$"""{"cache_control":{"type":"ephemeral"},"system":{{system}},"messages":[{"role":"user","content":"a"},{"role":"assistant","content":"b"},{"role":"user","content":"c"}]}"""));
        Assert.Null(Add($$$"""{"system":{{{system}}},"messages":[{"role":"user","content":[{"type":"tool_result","tool_use_id":"t","content":[{"type":"text","text":"x","cache\u005fcontrol":{"type":"ephemeral"}}]}]},{"role":"assistant","content":"b"},{"role":"user","content":"c"}]}"""));
    }

    [Fact]
    public void BelowTheModelsMinimum_NothingIsAdded()
    {
        var shortSystem = string.Join(' ', Enumerable.Range(0, 60).Select(i => $"Rule {i}."));
        Assert.Null(Add(Conversation(shortSystem, 4)));
        // Haiku 4.5 caches from 4,096 tokens: the long system prompt is not enough there.
        Assert.Null(Add(Conversation(LongSystem, 2), "claude-haiku-4-5", 4096));
        // A long conversation on a short system prompt reaches it at the earlier turns.
        var longTurns = Conversation(shortSystem, 2).Replace("answer 0", "answer 0 " + LongSystem);
        Assert.Equal(["$.messages[1].content[0]"], MarkedPaths(Add(longTurns)!.Value.Body));
    }

    [Fact]
    public void NeverMoreThanFourBreakpoints_AndAnEarlierStringTurnBecomesABlock()
    {
        var tools = $"\"tools\":[{string.Join(',', Enumerable.Range(0, 60).Select(i => Tool.Replace("read_file", $"t{i}").Replace("Reads a file.", LongSystem[..200])))}],";
        var body = Conversation(LongSystem, 6, tools).Replace("""{"role":"assistant","content":[{"type":"text","text":"answer 4"}]}""", """{"role":"assistant","content":"answer 4"}""");
        var result = Add(body)!.Value;
        var marked = MarkedPaths(result.Body);
        Assert.Equal(["$.tools[59]", "$.system[0]", "$.messages[9].content[0]"], marked);
        Assert.InRange(marked.Count, 1, AnthropicBreakpoints.MaxBreakpoints);
        var turn = JsonDocument.Parse(result.Body).RootElement.GetProperty("messages")[9].GetProperty("content")[0];
        Assert.Equal("answer 4", turn.GetProperty("text").GetString());
    }

    [Fact]
    public void ThinkingAndEmptyTextBlocksAreSkipped_AndTheTtlIsTheConfiguredOne()
    {
        var system = JsonSerializer.Serialize(LongSystem);
        var body = $$$"""{"system":{{{system}}},"messages":[{"role":"user","content":"a"},{"role":"assistant","content":[{"type":"text","text":"b"},{"type":"tool_use","id":"t1","name":"x","input":{}},{"type":"text","text":""},{"type":"thinking","thinking":"hm","signature":"s"}]},{"role":"user","content":"c"}]}""";
        var result = Add(body, ttl: "1h")!.Value;
        Assert.Equal(["$.system[0]", "$.messages[1].content[1]"], MarkedPaths(result.Body));
        Assert.Equal(2, System.Text.RegularExpressions.Regex.Matches(result.Body, "\"ttl\":\"1h\"").Count);
    }

    [Fact]
    public void TheFirstTurnHasNoEarlierTurnToMark()
    {
        Assert.Equal(["$.system[0]"], MarkedPaths(Add(Conversation(LongSystem, 1))!.Value.Body));
    }
}
