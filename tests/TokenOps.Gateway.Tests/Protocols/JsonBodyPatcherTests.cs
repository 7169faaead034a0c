using System.Text;
using TokenOps.Gateway.Protocols;
using TokenOps.Gateway.Protocols.OpenAI;

namespace TokenOps.Gateway.Tests.Protocols;

/// <summary>Only the fields TokenOps owns change; every other byte of the client's body goes upstream as sent.</summary>
public sealed class JsonBodyPatcherTests
{
    private static string Patch(string body, string name, string raw) => Encoding.UTF8.GetString(JsonBodyPatcher.SetTopLevel(Encoding.UTF8.GetBytes(body), name, raw));

    [Theory]
    [InlineData("""{"model":"a","x": [1, 2.50]}""", """{"model":"b","x": [1, 2.50]}""")]
    [InlineData("""  { "x":{"model":"keep"}, "model" : "a" }""", """  { "x":{"model":"keep"}, "model" : "b" }""")]
    [InlineData("""{"x":1}""", """{"model":"b","x":1}""")]
    [InlineData("""{}""", """{"model":"b"}""")]
    [InlineData(""" {  } """, """ {"model":"b"  } """)]
    public void SetTopLevel_ReplacesOrInserts_LeavingEveryOtherByte(string body, string expected) =>
        Assert.Equal(expected, Patch(body, "model", "\"b\""));

    [Theory]
    // No stream_options: inserted without a second parse.
    [InlineData("""{"model":"m","stream":true,"messages":[]}""", """{"stream_options":{"include_usage":true},"model":"m","stream":true,"messages":[]}""")]
    // The client's other stream options are kept; only include_usage is TokenOps'.
    [InlineData("""{"model":"m","stream":true,"stream_options":{"x":1},"messages":[]}""", """{"model":"m","stream":true,"stream_options":{"include_usage":true,"x":1},"messages":[]}""")]
    // A nested key of that name is not the top-level option: it stays, and the option is added.
    [InlineData("""{"model":"m","stream":true,"tools":[{"p":{"stream_options":2}}],"messages":[]}""", """{"stream_options":{"include_usage":true},"model":"m","stream":true,"tools":[{"p":{"stream_options":2}}],"messages":[]}""")]
    // An escaped name is the same field: merged into, never added a second time (the provider would obey the last).
    [InlineData("""{"model":"m","stream":true,"stream\u005foptions":{"include_usage":false},"messages":[]}""", """{"model":"m","stream":true,"stream\u005foptions":{"include_usage":true},"messages":[]}""")]
    public void ChatStreams_AskUpstreamForUsage(string body, string expected)
    {
        var route = new ChatCompletionsRoute();
        using var doc = System.Text.Json.JsonDocument.Parse(body);
        var facts = route.Read(doc.RootElement);
        var sent = route.PrepareUpstreamBody(Encoding.UTF8.GetBytes(body), facts, "m");
        Assert.Equal(expected, Encoding.UTF8.GetString(sent));
    }
}

/// <summary>Edits at values found by path (prompt-cache breakpoints): the rest of the body is untouched.</summary>
public sealed class JsonBodyPatcherPathTests
{
    private static readonly byte[] Body = Encoding.UTF8.GetBytes("""{ "a" : [ {"x":1}, { }, "s\"q" ], "b\u0063": {"c":[true]} }""");

    [Theory]
    [InlineData(new object[] { "a", 0 }, """{"x":1}""")]
    [InlineData(new object[] { "a", 1 }, "{ }")]
    [InlineData(new object[] { "a", 2 }, "\"s\\\"q\"")]
    [InlineData(new object[] { "bc", "c", 0 }, "true")]
    [InlineData(new object[] { "a", 3 }, null)]
    [InlineData(new object[] { "z" }, null)]
    [InlineData(new object[] { "a", "x" }, null)]
    public void Locate_FollowsNamesAndIndexes(object[] path, string? expected)
    {
        var steps = path.Select(p => p is string s ? (JsonStep)s : (JsonStep)(int)p).ToArray();
        var range = JsonBodyPatcher.Locate(Body, steps);
        Assert.Equal(expected, range is { } r ? Encoding.UTF8.GetString(Body, r.Start, r.End - r.Start) : null);
    }

    [Fact]
    public void Apply_InsertsFirstMembersAndReplacesValues_InOneCopy()
    {
        var first = JsonBodyPatcher.Locate(Body, "a", 0)!.Value;
        var empty = JsonBodyPatcher.Locate(Body, "a", 1)!.Value;
        var text = JsonBodyPatcher.Locate(Body, "a", 2)!.Value;
        var edited = JsonBodyPatcher.Apply(Body,
        [
            JsonBodyPatcher.InsertFirstMember(Body, empty.Start, "\"m\":2"),
            JsonBodyPatcher.InsertFirstMember(Body, first.Start, "\"m\":1"),
            new JsonEdit(text.Start, text.End, Encoding.UTF8.GetBytes("[\"t\"]")),
        ]);
        Assert.Equal("""{ "a" : [ {"m":1,"x":1}, {"m":2 }, ["t"] ], "b\u0063": {"c":[true]} }""", Encoding.UTF8.GetString(edited));
        Assert.Throws<ArgumentException>(() => JsonBodyPatcher.Apply(Body, [new JsonEdit(2, 5, []), new JsonEdit(4, 6, [])]));
    }
}
