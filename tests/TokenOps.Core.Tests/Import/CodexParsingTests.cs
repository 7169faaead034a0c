using System.Text;
using TokenOps.Core.Import;
using Xunit;

namespace TokenOps.Core.Tests.Import;

public sealed class CodexParsingTests
{
    private static string TokenCount(string ts, long i, long c, long o, long r, (long, long, long, long)? last = null)
    {
        var lastJson = last is { } l ? $",\"last_token_usage\":{{\"input_tokens\":{l.Item1},\"cached_input_tokens\":{l.Item2},\"output_tokens\":{l.Item3},\"reasoning_output_tokens\":{l.Item4}}}" : "";
        return $"{{\"timestamp\":\"{ts}\",\"type\":\"event_msg\",\"payload\":{{\"type\":\"token_count\",\"info\":{{\"total_token_usage\":{{\"input_tokens\":{i},\"cached_input_tokens\":{c},\"output_tokens\":{o},\"reasoning_output_tokens\":{r},\"total_tokens\":{i + o}}}{lastJson}}}}}}}";
    }

    [Fact]
    public void Session_ModelFromTurnContext_DeltasFromTotals_RepeatsIgnored()
    {
        var p = new CodexSessionParser();
        var events = new List<UsageEvent>();
        string[] lines =
        [
            """{"timestamp":"2026-05-13T10:00:00.000Z","type":"session_meta","payload":{"id":"sess-1","cwd":"/home/me/alpha"}}""",
            """{"timestamp":"2026-05-13T10:00:01.000Z","type":"turn_context","payload":{"model":"gpt-5.2-codex"}}""",
            TokenCount("2026-05-13T10:00:02.000Z", 1000, 250, 125, 75, last: (1000, 250, 125, 75)),
            TokenCount("2026-05-13T10:00:02.500Z", 1000, 250, 125, 75, last: (1000, 250, 125, 75)), // Codex repeats the event
            TokenCount("2026-05-13T10:01:00.000Z", 3500, 750, 425, 275), // no last: delta of totals
            """{"timestamp":"2026-05-13T10:02:00.000Z","type":"event_msg","payload":{"type":"token_count","info":null}}""",
            """{"timestamp":"2026-05-13T10:02:00.000Z","type":"event_msg","payload":{"type":"token_count","info":{"total_tok""",
        ];
        var kinds = new List<LineKind>();
        foreach (var line in lines)
        {
            var kind = p.Parse(Encoding.UTF8.GetBytes(line), out var e, out _);
            kinds.Add(kind);
            if (kind == LineKind.Usage) events.Add(e);
        }
        Assert.Equal(LineKind.Ignored, kinds[3]);
        Assert.Equal(LineKind.NoUsage, kinds[5]);
        Assert.Equal(LineKind.Invalid, kinds[6]);
        Assert.Equal(2, events.Count);
        Assert.All(events, e => Assert.Equal("gpt-5.2-codex", e.Model));
        Assert.All(events, e => Assert.Equal("sess-1", e.SessionId));
        Assert.All(events, e => Assert.Equal("alpha", e.Project));
        Assert.Equal((750, 250, 125, 75), (events[0].Input, events[0].CacheRead, events[0].Output, events[0].Reasoning));
        Assert.Equal((2000, 500, 300, 200), (events[1].Input, events[1].CacheRead, events[1].Output, events[1].Reasoning));
    }

    [Fact]
    public void NoTurnContext_FallsBackToGpt5_CachedClampedToInput()
    {
        var p = new CodexSessionParser();
        Assert.Equal(LineKind.Usage, p.Parse(Encoding.UTF8.GetBytes(TokenCount("2025-09-10T10:00:00Z", 100, 500, 10, 0, last: (100, 500, 10, 0))), out var e, out _));
        Assert.Equal(CodexSessionParser.FallbackModel, e.Model);
        Assert.Equal((0, 100), (e.Input, e.CacheRead));
    }

    [Fact]
    public void ExecJsonTurnCompleted_IsUsage()
    {
        var p = new CodexSessionParser();
        var line = """{"type":"turn.completed","timestamp":"2026-05-14T09:00:00Z","model":"gpt-5.3-codex","usage":{"input_tokens":2500,"cached_input_tokens":500,"output_tokens":300,"reasoning_output_tokens":200,"total_tokens":2800}}""";
        Assert.Equal(LineKind.Usage, p.Parse(Encoding.UTF8.GetBytes(line), out var e, out _));
        Assert.Equal(("gpt-5.3-codex", 2000L, 500L, 300L), (e.Model, e.Input, e.CacheRead, e.Output));
    }
}
