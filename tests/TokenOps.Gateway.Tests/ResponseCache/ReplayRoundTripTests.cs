using System.Text;
using System.Text.Json.Nodes;
using TokenOps.Gateway.Protocols;
using TokenOps.Gateway.ResponseCache;

namespace TokenOps.Gateway.Tests.ResponseCache;

/// <summary>
/// A stored answer replayed as a stream and read back by the stream assembler is the same answer: text, thinking, tool
/// calls and their arguments, finish and usage, for each protocol (the simulator answers in text only, so tool calls are
/// covered here).
/// </summary>
public sealed class ReplayRoundTripTests
{
    private static JsonObject RoundTrip(string route, JsonObject answer)
    {
        var sse = ReplayWriter.For(route).Stream(answer, includeUsage: true);
        var capture = new AnswerCapture(route, 1 << 20);
        var rest = sse.AsSpan();
        while (SseFraming.TryReadEvent(rest, out var length, out var name, out var data))
        {
            capture.OnEvent(name, data);
            rest = rest[length..];
        }
        Assert.Equal(0, rest.Length);
        return capture.Answer() ?? throw new Xunit.Sdk.XunitException("the replayed stream did not assemble into a complete answer:\n" + Encoding.UTF8.GetString(sse));
    }

    [Fact]
    public void Chat_with_tool_calls()
    {
        var answer = JsonNode.Parse("""
            {"id":"chatcmpl-1","object":"chat.completion","created":1700000000,"model":"gpt-4o-mini",
             "choices":[{"index":0,"message":{"role":"assistant","content":"Let me check.","refusal":null,
               "tool_calls":[{"id":"call_a","type":"function","function":{"name":"read","arguments":"{\"path\":\"a.txt\"}"}},
                             {"id":"call_b","type":"function","function":{"name":"grep","arguments":"{\"q\":\"x\"}"}}]},
               "logprobs":null,"finish_reason":"tool_calls"}],
             "usage":{"prompt_tokens":12,"completion_tokens":30,"total_tokens":42},"system_fingerprint":"fp_1"}
            """)!.AsObject();
        Assert.True(JsonNode.DeepEquals(answer, RoundTrip("openai.chat", answer)), RoundTrip("openai.chat", answer).ToJsonString());
    }

    [Fact]
    public void Anthropic_with_thinking_text_and_tool_use()
    {
        var answer = JsonNode.Parse("""
            {"id":"msg_1","type":"message","role":"assistant","model":"claude-sonnet-4-5",
             "content":[{"type":"thinking","thinking":"Consider the file.","signature":"sig=="},
                        {"type":"text","text":"Reading it."},
                        {"type":"tool_use","id":"toolu_1","name":"read","input":{"path":"a.txt","lines":[1,2]}}],
             "stop_reason":"tool_use","stop_sequence":null,
             "usage":{"input_tokens":20,"cache_creation_input_tokens":0,"cache_read_input_tokens":5,"output_tokens":44}}
            """)!.AsObject();
        Assert.True(JsonNode.DeepEquals(answer, RoundTrip("anthropic.messages", answer)), RoundTrip("anthropic.messages", answer).ToJsonString());
    }

    [Fact]
    public void Responses_with_a_message_and_a_function_call()
    {
        var answer = JsonNode.Parse("""
            {"id":"resp_1","object":"response","created_at":1700000000,"status":"completed","model":"gpt-4.1-mini","instructions":null,
             "output":[{"id":"msg_1","type":"message","status":"completed","role":"assistant","content":[{"type":"output_text","text":"Hi.","annotations":[]}]},
                       {"id":"fc_1","type":"function_call","status":"completed","call_id":"call_1","name":"read","arguments":"{\"path\":\"a\"}"}],
             "usage":{"input_tokens":5,"output_tokens":7,"total_tokens":12}}
            """)!.AsObject();
        Assert.True(JsonNode.DeepEquals(answer, RoundTrip("openai.responses", answer)));
    }

    [Fact]
    public void An_unfinished_stream_is_not_an_answer()
    {
        var capture = new AnswerCapture("anthropic.messages", 1 << 20);
        capture.OnEvent("message_start"u8, """{"type":"message_start","message":{"id":"m","type":"message","role":"assistant","content":[],"model":"x","usage":{"input_tokens":1,"output_tokens":0}}}"""u8);
        capture.OnEvent("content_block_start"u8, """{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}"""u8);
        capture.OnEvent("content_block_delta"u8, """{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"half"}}"""u8);
        Assert.Null(capture.Answer());

        var chat = new AnswerCapture("openai.chat", 1 << 20);
        chat.OnEvent(default, """{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"half"},"finish_reason":null}]}"""u8);
        Assert.Null(chat.Answer());
    }
}
