using System.Text;
using TokenOps.Core.Import;
using Xunit;

namespace TokenOps.Core.Tests.Import;

/// <summary>The fast path and the full JSON reader must agree on every line, and the fast path must take the usual ones.</summary>
public sealed class FastPathEquivalenceTests
{
    private static IEnumerable<string> Lines()
    {
        yield return ClaudeCodeParsingTests.Line();
        yield return ClaudeCodeParsingTests.Line(extra: "\"costUSD\":0.25,\"version\":\"2.1.97\",\"cwd\":\"/a\",\"isApiErrorMessage\":false,");
        yield return ClaudeCodeParsingTests.Line(extra: "\"costUSD\":1.5E-3,");
        yield return ClaudeCodeParsingTests.Line(usageExtra: ",\"cache_creation\":{\"ephemeral_5m_input_tokens\":5,\"ephemeral_1h_input_tokens\":20},\"speed\":\"fast\",\"service_tier\":\"standard\"");
        yield return ClaudeCodeParsingTests.Line(sidechain: true, req: null);
        yield return ClaudeCodeParsingTests.Line(model: "<synthetic>");
        yield return ClaudeCodeParsingTests.Line(ts: "2026-01-09T10:00:00Z");
        yield return ClaudeCodeParsingTests.Line(ts: "2026-01-09T10:00:00.1234567Z");
        yield return ClaudeCodeParsingTests.Line(ts: "2026-01-09T19:00:00.000+09:00");
        yield return ClaudeCodeParsingTests.Line(ts: "2026-02-30T10:00:00.000Z");
        yield return ClaudeCodeParsingTests.Line(msg: "msg\\u005f1");
        yield return ClaudeCodeParsingTests.Line(model: "claude-\\u0073onnet-4-20250514");
        yield return ClaudeCodeParsingTests.Line(input: -1);
        yield return ClaudeCodeParsingTests.Line().Replace("\"input_tokens\":100", "\"input_tokens\":1e2");
        yield return ClaudeCodeParsingTests.Line().Replace("\"input_tokens\":100", "\"input_tokens\":null");
        yield return ClaudeCodeParsingTests.Line().Replace("\"sessionId\":\"s1\"", "\"sessionId\":null");
        yield return ClaudeCodeParsingTests.Line().Replace("\"sessionId\":\"s1\"", "\"sessionId\":\"\"");
        yield return ClaudeCodeParsingTests.Line(extra: "\"version\":\"x\",");
        yield return ClaudeCodeParsingTests.Line(extra: "\"cwd\":null,");
        yield return ClaudeCodeParsingTests.Line(extra: "\"cwd\":\"/home/ada/src/payments/\",");
        yield return ClaudeCodeParsingTests.Line(extra: "\"cwd\":\"C:\\\\Users\\\\ada\\\\payments\",");
        yield return ClaudeCodeParsingTests.Line(extra: "\"cwd\":\"/\",");
        yield return ClaudeCodeParsingTests.Line(extra: "\"cwd\":42,");
        yield return ClaudeCodeParsingTests.Line(extra: "\"usage\" : {\"n\":1},").Replace("\"usage\":{", "\"usage\": {");
        yield return ClaudeCodeParsingTests.Line(extra: "\"isSidechain\":\"yes\",");
        yield return ClaudeCodeParsingTests.Line(extra: "\"nested\":{\"a\":[1,2,{\"b\":\"c\\\"}\"}],\"t\":true,\"f\":false,\"n\":null},");
        yield return ClaudeCodeParsingTests.Line() + "   ";
        yield return ClaudeCodeParsingTests.Line().Replace("a long", "a\u0001long"); // raw control byte inside a string: invalid JSON
        yield return ClaudeCodeParsingTests.Line().Replace(",\"sessionId\"", ",\n\t\"sessionId\""); // whitespace between tokens: valid
        yield return ClaudeCodeParsingTests.Line() + "{}";
        yield return "  " + ClaudeCodeParsingTests.Line();
        yield return "{\"type\":\"summary\",\"note\":\"\\\"usage\\\":{ mention\",\"usage\":{\"x\":1}}";
        yield return "{\"usage\":{},\"timestamp\":\"2026-01-09T10:00:00.000Z\"}";
        var line = ClaudeCodeParsingTests.Line();
        for (var cut = 1; cut < line.Length; cut += 7) yield return line[..cut];
    }

    [Fact]
    public void FastAndFullParsers_Agree()
    {
        var fast = new ClaudeCodeLineParser(keepIds: true);
        var full = new ClaudeCodeLineParser(keepIds: true, fastPath: false);
        foreach (var line in Lines())
        {
            var bytes = Encoding.UTF8.GetBytes(line);
            var k1 = fast.Parse(bytes, out var e1, out _);
            var k2 = full.Parse(bytes, out var e2, out _);
            Assert.True(k1 == k2, $"kind {k1} vs {k2}: {line}");
            if (k1 == LineKind.Usage) Assert.True(e1.Equals(e2), $"event differs: {line}");
        }
    }

    [Fact]
    public void UsualLines_TakeTheFastPath()
    {
        var parser = new ClaudeCodeLineParser();
        foreach (var line in Lines().Take(8)) parser.Parse(Encoding.UTF8.GetBytes(line), out _, out _);
        Assert.Equal(0, parser.FullParses); // the first 8 lines: plain, with cost/version/cwd, exponent cost, cache split + fast, sidechain, synthetic, other timestamp forms
        parser.Parse(Encoding.UTF8.GetBytes(ClaudeCodeParsingTests.Line(ts: "2026-01-09T19:00:00.000+09:00")), out _, out _);
        Assert.Equal(1, parser.FullParses); // an offset timestamp is left to the full reader
    }
}
