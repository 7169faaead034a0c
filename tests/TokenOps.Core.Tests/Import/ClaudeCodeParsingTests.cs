using System.Text;
using TokenOps.Core.Import;
using Xunit;

namespace TokenOps.Core.Tests.Import;

public sealed class ClaudeCodeParsingTests
{
    internal static string Line(string msg = "msg_1", string? req = "req_1", string model = "claude-sonnet-4-20250514", string ts = "2026-01-09T10:00:00.000Z",
        long input = 100, long output = 50, long cc = 25, long cr = 10, bool sidechain = false, string extra = "", string usageExtra = "") =>
        "{\"type\":\"assistant\",\"isSidechain\":" + (sidechain ? "true" : "false") + ",\"timestamp\":\"" + ts + "\",\"sessionId\":\"s1\","
        + (req is null ? "" : "\"requestId\":\"" + req + "\",") + extra
        + "\"message\":{\"id\":\"" + msg + "\",\"model\":\"" + model + "\",\"content\":[{\"type\":\"text\",\"text\":\"a long \\\"quoted\\\" text {\\\"usage\\\":1}\"}],"
        + $"\"usage\":{{\"input_tokens\":{input},\"output_tokens\":{output},\"cache_creation_input_tokens\":{cc},\"cache_read_input_tokens\":{cr}{usageExtra}}}}}}}";

    private static (LineKind Kind, UsageEvent Event, string? Error) Parse(string line)
    {
        var kind = new ClaudeCodeLineParser().Parse(Encoding.UTF8.GetBytes(line), out var e, out var error);
        return (kind, e, error);
    }

    [Fact]
    public void AssistantLine_AllBucketsAndFields()
    {
        var (kind, e, _) = Parse(Line(extra: "\"costUSD\":0.25,\"version\":\"2.1.97\",", usageExtra: ",\"cache_creation\":{\"ephemeral_5m_input_tokens\":5,\"ephemeral_1h_input_tokens\":20}"));
        Assert.Equal(LineKind.Usage, kind);
        Assert.Equal((100, 50, 25, 10, 20), (e.Input, e.Output, e.CacheCreation, e.CacheRead, e.Cache1h));
        Assert.Equal("claude-sonnet-4-20250514", e.Model);
        Assert.Equal("s1", e.SessionId);
        Assert.Equal(250_000_000, e.CostNanos);
        Assert.Equal(DateTimeOffset.Parse("2026-01-09T10:00:00Z").ToUnixTimeMilliseconds(), e.TimestampMs);
        Assert.NotEqual(0UL, e.PairKey);
    }

    [Theory]
    [InlineData(": ")]
    [InlineData(" :  ")]
    public void WhitespaceAroundColons_IsReadLikeCompactJson(string colon)
    {
        // Hand-written or re-serialised logs are valid JSON: every colon (including usage's) may carry spaces.
        var compact = Parse(Line());
        var spaced = Parse(Line().Replace("\":", "\"" + colon));
        Assert.Equal(LineKind.Usage, spaced.Kind);
        Assert.Equal((compact.Event.Input, compact.Event.Output, compact.Event.CacheCreation, compact.Event.CacheRead), (spaced.Event.Input, spaced.Event.Output, spaced.Event.CacheCreation, spaced.Event.CacheRead));
        Assert.Equal(compact.Event.TimestampMs, spaced.Event.TimestampMs);
        Assert.Equal(compact.Event.Model, spaced.Event.Model);
    }

    [Fact]
    public void AQuotedUsageWordInText_IsNotUsage()
    {
        var (kind, _, _) = Parse("""{"type":"user","timestamp":"2026-01-09T10:00:00.000Z","message":{"role":"user","content":"the \"usage\": {} field"}}""");
        Assert.Equal(LineKind.NoUsage, kind);
    }

    [Fact]
    public void UserLineWithoutUsage_IsNotAnError()
    {
        var (kind, _, _) = Parse("""{"type":"user","timestamp":"2026-01-09T10:00:00.000Z","message":{"role":"user","content":"hi"}}""");
        Assert.Equal(LineKind.NoUsage, kind);
    }

    [Theory]
    [InlineData("truncated", "corrupt")]
    [InlineData("truncated-late", "corrupt")]
    [InlineData("null-id", "message.id")]
    [InlineData("bad-ts", "timestamp")]
    [InlineData("no-output", "output_tokens")]
    [InlineData("empty-model", "model")]
    [InlineData("negative", "input_tokens")]
    [InlineData("bad-version", "version")]
    [InlineData("cut-user-line", "truncated")]
    public void BadLines_AreInvalidWithAReason(string variant, string reason)
    {
        var line = variant switch
        {
            "truncated" => Line()[..120],
            "truncated-late" => Line()[..^3],
            "null-id" => Line().Replace("\"id\":\"msg_1\"", "\"id\":null"),
            "bad-ts" => Line(ts: "yesterday"),
            "no-output" => Line().Replace("\"output_tokens\":50,", ""),
            "empty-model" => Line(model: ""),
            "negative" => Line(input: -5),
            "bad-version" => Line(extra: "\"version\":\"beta\","),
            _ => """{"type":"user","timestamp":"2026-01-09T10:00:00.000Z","message":{"role":"user","content":"hi""",
        };
        var (kind, _, error) = Parse(line);
        Assert.Equal(LineKind.Invalid, kind);
        Assert.Contains(reason, error, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void SyntheticModel_IsIgnoredNotCounted()
    {
        Assert.Equal(LineKind.Ignored, Parse(Line(model: "<synthetic>")).Kind);
    }

    [Fact]
    public void FastSpeed_ReportedUnderModelDashFast()
    {
        var (_, e, _) = Parse(Line(usageExtra: ",\"speed\":\"fast\""));
        Assert.Equal("claude-sonnet-4-20250514-fast", e.ReportModel);
    }

    private static UsageEvent Event(string line) => Parse(line).Event;

    [Fact]
    public void StreamedCopies_CountOnce_LargestKept()
    {
        var d = new UsageDeduplicator();
        d.Add(Event(Line(output: 1)));
        d.Add(Event(Line(output: 50)));
        d.Add(Event(Line(output: 3)));
        var kept = Assert.Single(d.Events);
        Assert.Equal(50, kept.Output);
        Assert.Equal(2, d.Duplicates);
    }

    [Fact]
    public void SidechainReplay_WithOtherRequestId_IsADuplicate_ParentKept()
    {
        var d = new UsageDeduplicator();
        d.Add(Event(Line(req: "req_9", sidechain: true, output: 60)));
        d.Add(Event(Line(req: "req_1", output: 50)));
        var kept = Assert.Single(d.Events);
        Assert.False(kept.IsSidechain);
        Assert.Equal(50, kept.Output);
    }

    [Fact]
    public void SameMessageDifferentRequests_NotSidechain_BothCount_AndMissingRequestIdNeverDeduped()
    {
        var d = new UsageDeduplicator();
        d.Add(Event(Line(req: "req_1")));
        d.Add(Event(Line(req: "req_2")));
        d.Add(Event(Line(msg: "msg_2", req: null)));
        d.Add(Event(Line(msg: "msg_2", req: null)));
        Assert.Equal(4, d.Events.Count);
    }
}
