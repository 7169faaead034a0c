using System.Text.Json;
using TokenOps.Gateway.Tests.Infrastructure;

namespace TokenOps.Gateway.Tests.Routing;

/// <summary>`tokenops route score` through the real executable: one JSON line out per line in, the gateway's decision.</summary>
public sealed class RouteScoreCliTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tokenops-route-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    [Fact]
    public async Task Each_line_gets_a_model_a_score_and_reasons_or_an_error_in_its_place()
    {
        var config = Path.Combine(_dir, "tokenops.json");
        File.WriteAllText(config, """
        { "routing": { "routers": {
            "auto": { "openai": ["gpt-3.5-turbo", "gpt-4o"], "anthropic": ["claude-haiku-4-5", "claude-sonnet-4-5"], "threshold": 1.0 },
            "strong": { "openai": ["gpt-4o-mini", "gpt-4o"], "threshold": 0.0 } } } }
        """);
        var input = string.Join('\n',
            """{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}""",
            """{"prompt":"Summarise this paragraph."}""",
            """{"model":"x","max_tokens":100,"system":"be terse","messages":[{"role":"user","content":"hello"}]}""",
            """{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:image/png;base64,AA=="}}]}]}""",
            "not json",
            """{"messages":[{"role":"user","content":"hi"}],"max_tokens":9999999}""") + "\n";

        var (exit, stdout, stderr) = await CliProcess.RunWithInputAsync(input, "route", "score", "--config", config);

        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(6, lines.Count);
        Assert.Equal("gpt-3.5-turbo", lines[0].GetProperty("model").GetString());
        Assert.InRange(lines[0].GetProperty("strong_score").GetDouble(), 0, 1);
        Assert.Equal(JsonValueKind.Array, lines[0].GetProperty("reasons").ValueKind);
        Assert.Equal("gpt-3.5-turbo", lines[1].GetProperty("model").GetString());
        Assert.Equal("claude-haiku-4-5", lines[2].GetProperty("model").GetString());
        Assert.Equal("gpt-4o", lines[3].GetProperty("model").GetString()); // gpt-3.5-turbo cannot take images
        Assert.Contains("line 5", lines[4].GetProperty("error").GetString());
        Assert.Contains("No candidate of this router can serve the request", lines[5].GetProperty("error").GetString());
        Assert.Equal(1, exit);
        Assert.Contains("2 line(s) could not be scored", stderr);

        var (named, strongOut, _) = await CliProcess.RunWithInputAsync("{\"prompt\":\"hi\"}\n", "route", "score", "--router", "strong", "--config", config);
        Assert.Equal(0, named);
        Assert.Equal("gpt-4o", JsonDocument.Parse(strongOut.Trim()).RootElement.GetProperty("model").GetString());
    }

    [Fact]
    public async Task An_unknown_router_is_an_error_naming_it()
    {
        var (exit, _, stderr) = await CliProcess.RunWithInputAsync("{\"prompt\":\"hi\"}\n", "route", "score", "--router", "nope");
        Assert.NotEqual(0, exit);
        Assert.Contains("no router named 'nope'", stderr);
    }
}
