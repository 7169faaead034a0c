using System.Text;
using System.Text.Json;
using TokenOps.Gateway.Routing;

namespace TokenOps.Gateway.Tests.Routing;

public class AnswerCheckTests
{
    private static string? Fails(string route, string answer, string request = "{}")
    {
        using var doc = JsonDocument.Parse(request);
        return AnswerCheck.Fails(route, doc.RootElement, Encoding.UTF8.GetBytes(answer));
    }

    [Fact]
    public void A_plain_answer_passes_in_every_protocol()
    {
        Assert.Null(Fails("openai.chat", """{"choices":[{"message":{"content":"Paris."},"finish_reason":"stop"}]}"""));
        Assert.Null(Fails("anthropic.messages", """{"content":[{"type":"text","text":"Paris."}],"stop_reason":"end_turn"}"""));
        Assert.Null(Fails("openai.responses", """{"status":"completed","output":[{"type":"message","content":[{"type":"output_text","text":"Paris."}]}]}"""));
    }

    [Fact]
    public void Refusals_empty_answers_and_cut_answers_fail()
    {
        Assert.Equal("refusal", Fails("openai.chat", """{"choices":[{"message":{"content":null,"refusal":"I can't"},"finish_reason":"stop"}]}"""));
        Assert.Equal("refusal", Fails("anthropic.messages", """{"content":[],"stop_reason":"refusal"}"""));
        Assert.Equal("refusal", Fails("openai.chat", """{"choices":[{"message":{"content":"I'm sorry, but I can't help with that."},"finish_reason":"stop"}]}"""));
        Assert.Equal("empty", Fails("openai.chat", """{"choices":[{"message":{"content":""},"finish_reason":"stop"}]}"""));
        Assert.Equal("length", Fails("openai.chat", """{"choices":[{"message":{"content":"Par"},"finish_reason":"length"}]}"""));
        Assert.Equal("length", Fails("anthropic.messages", """{"content":[{"type":"text","text":"Par"}],"stop_reason":"max_tokens"}"""));
        Assert.Equal("length", Fails("openai.responses", """{"status":"incomplete","output":[]}"""));
    }

    [Fact]
    public void Tool_calls_are_an_answer()
    {
        Assert.Null(Fails("openai.chat", """{"choices":[{"message":{"content":null,"tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"{}"}}]},"finish_reason":"tool_calls"}]}"""));
        Assert.Null(Fails("anthropic.messages", """{"content":[{"type":"tool_use","id":"t","name":"f","input":{}}],"stop_reason":"tool_use"}"""));
    }

    [Fact]
    public void A_requested_schema_needs_json_with_its_required_fields()
    {
        const string schema = """{"response_format":{"type":"json_schema","json_schema":{"name":"x","schema":{"type":"object","required":["city"]}}}}""";
        static string Chat(string content) => JsonSerializer.Serialize(new { choices = new[] { new { message = new { content }, finish_reason = "stop" } } });
        Assert.Null(Fails("openai.chat", Chat("""{"city":"Paris"}"""), schema));
        Assert.Equal("invalid_json", Fails("openai.chat", Chat("""{"town":"Paris"}"""), schema));
        Assert.Equal("invalid_json", Fails("openai.chat", Chat("Paris"), schema));
        Assert.Equal("invalid_json", Fails("openai.chat", Chat("Paris"), """{"response_format":{"type":"json_object"}}"""));
        Assert.Null(Fails("openai.chat", Chat("Paris"), """{"response_format":{"type":"text"}}"""));
    }
}
