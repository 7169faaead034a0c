using System.Text;
using TokenOps.Gateway.Protocols;
using TokenOps.Gateway.Protocols.Anthropic;
using TokenOps.Gateway.Protocols.OpenAI;

namespace TokenOps.Gateway.Tests.Protocols;

/// <summary>The meters keep generated text for estimates of interrupted streams, for every protocol and text kind.</summary>
public sealed class StreamMeteringTests
{
    private static readonly RequestFacts Facts = new("m", Stream: true, MaxOutputTokens: null, ClientAskedForUsage: false);

    private static string Generated(ProtocolRoute route, params (string Name, string Data)[] events)
    {
        var meter = route.CreateMeter(Facts);
        foreach (var (name, data) in events) meter.OnEvent(Encoding.UTF8.GetBytes(name), Encoding.UTF8.GetBytes(data));
        return meter.GeneratedText;
    }

    [Fact]
    public void Chat_KeepsContentAndToolArguments()
    {
        var text = Generated(new ChatCompletionsRoute(),
            ("", """{"id":"c1","choices":[{"index":0,"delta":{"content":"Hello "}}]}"""),
            ("", """{"id":"c1","choices":[{"index":0,"delta":{"tool_calls":[{"function":{"arguments":"{\"a\":1}"}}]}}]}"""),
            ("", """{"id":"c1","choices":[{"index":0,"delta":{"content":"world"}}]}"""));
        Assert.Equal("Hello {\"a\":1}world", text);
    }

    [Fact]
    public void Messages_KeepsTextThinkingAndToolInput_AndIgnoresOtherEvents()
    {
        var text = Generated(new MessagesRoute(),
            ("content_block_delta", """{"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"Let me see. "}}"""),
            ("ping", """{"type":"ping"}"""),
            ("content_block_delta", """{"type":"content_block_delta","index":1,"delta":{"type":"text_delta","text":"Answer"}}"""),
            ("content_block_delta", """{"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":"{\"q\":"}}"""));
        Assert.Equal("Let me see. Answer{\"q\":", text);
    }

    [Fact]
    public void Responses_KeepsTextAndArgumentDeltas_AndSurvivesAMalformedEvent()
    {
        var text = Generated(new ResponsesRoute(),
            ("response.output_text.delta", """{"type":"response.output_text.delta","delta":"one "}"""),
            ("response.output_text.delta", """{"type":"response.output_text.delta","delta":"tw"""),
            ("response.function_call_arguments.delta", """{"type":"response.function_call_arguments.delta","delta":"three"}"""));
        Assert.Equal("one three", text);
    }

    [Fact]
    public void Framing_KeepsBlankPaddingWithTheNextEvent_AndReadsCommentsAndMultiLineData()
    {
        var bytes = Encoding.UTF8.GetBytes("\n\n: keep-alive\n\nevent: a\ndata: first\ndata: second\n\nevent: b\r\ndata: x\r\n\r\ndata: tail");
        var offset = 0;
        var seen = new List<string>();
        while (SseFraming.TryReadEvent(bytes.AsSpan(offset), out var length, out var name, out var data))
        {
            seen.Add(Encoding.UTF8.GetString(name) + "=" + Encoding.UTF8.GetString(data) + "|" + length);
            offset += length;
        }
        // The comment is an event with neither name nor data (forwarded as is); multi-line data exposes its first line.
        Assert.Equal(["=|16", "a=first|35", "b=x|21"], seen);
        Assert.Equal("data: tail", Encoding.UTF8.GetString(bytes.AsSpan(offset)));
    }

    [Fact]
    public void LongStream_KeepsEveryEvent_AcrossPooledBufferGrowth_AndDisposeReleasesIt()
    {
        // ~2,000 events of ~90 bytes: the kept buffer (pooled, 16 KB at first) has to grow several times.
        var meter = new ChatCompletionsRoute().CreateMeter(Facts);
        var expected = new StringBuilder();
        for (var i = 0; i < 2000; i++)
        {
            var word = $"w{i} ";
            expected.Append(word);
            meter.OnEvent(default, Encoding.UTF8.GetBytes($$$"""{"id":"c1","choices":[{"index":0,"delta":{"content":"{{{word}}}"}}]}"""));
        }
        Assert.Equal(expected.ToString(), meter.GeneratedText);
        meter.Dispose();
        meter.Dispose(); // idempotent: the pipeline may dispose after an error path already did
        Assert.Equal(expected.ToString(), meter.GeneratedText); // text already parsed stays; nothing reads the returned buffer
    }

    [Theory]
    [InlineData("\n")]
    [InlineData("\r\n")]
    public void Framing_SplitsEveryEvent_WhateverTheLineEnding(string eol)
    {
        var stream = string.Concat(Enumerable.Range(0, 50).Select(i => $"event: e{i}{eol}data: {{\"i\":{i}}}{eol}{eol}")) + "data: [DONE]" + eol;
        var bytes = Encoding.UTF8.GetBytes(stream);
        var offset = 0;
        var seen = new List<string>();
        while (SseFraming.TryReadEvent(bytes.AsSpan(offset), out var length, out var name, out var data))
        {
            seen.Add(Encoding.UTF8.GetString(name) + "=" + Encoding.UTF8.GetString(data));
            offset += length;
        }
        Assert.Equal(Enumerable.Range(0, 50).Select(i => $"e{i}={{\"i\":{i}}}"), seen);
        Assert.Equal("data: [DONE]" + eol, Encoding.UTF8.GetString(bytes.AsSpan(offset))); // incomplete: waits for more bytes
    }
}
