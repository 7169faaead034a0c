using TokenOps.Gateway.Configuration;
using TokenOps.Gateway.Tests.Infrastructure;

namespace TokenOps.Gateway.Tests.Configuration;

/// <summary>"outputControl" in tokenops.json: a bad value fails at start in one line naming its key.</summary>
public sealed class OutputControlConfigTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "tokenops-outctl-config", Guid.NewGuid().ToString("N"));

    public OutputControlConfigTests() => Directory.CreateDirectory(_dir);

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private string Write(string json)
    {
        var path = Path.Combine(_dir, "tokenops.json");
        File.WriteAllText(path, json);
        return path;
    }

    [Fact]
    public void AFullConfiguration_Binds()
    {
        var options = ConfigurationLoader.Load(Write("""
            {
              "budgets": { "tiers": { "junior": { "people": ["ada"] } } },
              "outputControl": {
                "maxTokens": { "default": 1024, "cap": 8192 },
                "reasoning": { "maxEffort": "medium", "maxBudgetTokens": 8000 },
                "routes": { "openai.responses": { "maxTokens": { "default": 2048 } }, "anthropic.messages": { "maxTokens": { "cap": 4096 } } },
                "tiers": { "junior": { "reasoning": { "maxEffort": "low" } } },
                "teams": { "research": { "maxTokens": { "cap": 32000 } } }
              }
            }
            """));
        var o = options.OutputControl;
        Assert.Equal((1024L, 8192L), (o.MaxTokens!.Default!.Value, o.MaxTokens.Cap!.Value));
        Assert.Equal("medium", o.Reasoning!.MaxEffort);
        Assert.Equal(2048, o.Routes["openai.responses"].MaxTokens!.Default);
        Assert.Equal(4096, o.Routes["anthropic.messages"].MaxTokens!.Cap);
        Assert.Equal("low", o.Tiers["junior"].Reasoning!.MaxEffort);
        Assert.Equal(32000, o.Teams["research"].MaxTokens!.Cap);
    }

    [Theory]
    [InlineData("""{"outputControl":{"maxTokens":{"default":0}}}""", "outputControl.maxTokens.default")]
    [InlineData("""{"outputControl":{"maxTokens":{"default":-5}}}""", "outputControl.maxTokens.default")]
    [InlineData("""{"outputControl":{"maxTokens":{"cap":0}}}""", "outputControl.maxTokens.cap")]
    [InlineData("""{"outputControl":{"maxTokens":{"default":4096,"cap":1024}}}""", "outputControl.maxTokens.cap")]
    [InlineData("""{"outputControl":{"reasoning":{"maxEffort":"extreme"}}}""", "outputControl.reasoning.maxEffort")]
    [InlineData("""{"outputControl":{"reasoning":{"maxEffort":"LOW"}}}""", "outputControl.reasoning.maxEffort")]
    [InlineData("""{"outputControl":{"reasoning":{"maxBudgetTokens":0}}}""", "outputControl.reasoning.maxBudgetTokens")]
    [InlineData("""{"outputControl":{"reasoning":{"maxBudgetTokens":512}}}""", "outputControl.reasoning.maxBudgetTokens")]
    [InlineData("""{"outputControl":{"routes":{"openai.chat.completions":{"maxTokens":{"cap":100}}}}}""", "outputControl.routes.openai.chat.completions")]
    [InlineData("""{"outputControl":{"routes":{"openai.embeddings":{"maxTokens":{"cap":100}}}}}""", "outputControl.routes.openai.embeddings")]
    [InlineData("""{"outputControl":{"routes":{"openai.chat":{"maxTokens":{"cap":-1}}}}}""", "outputControl.routes.openai.chat.maxTokens.cap")]
    [InlineData("""{"outputControl":{"routes":{"anthropic.messages":{"maxTokens":{"default":1024}}}}}""", "outputControl.routes.anthropic.messages.maxTokens.default")]
    [InlineData("""{"outputControl":{"tiers":{"junior":{"maxTokens":{"cap":100}}}}}""", "outputControl.tiers.junior")]
    [InlineData("""{"outputControl":{"teams":{"core":{"maxTokens":{"default":2048,"cap":1024}}}}}""", "outputControl.teams.core.maxTokens.cap")]
    [InlineData("""{"outputControl":{"teams":{"core":{"reasoning":{"maxEffort":"max"}}}}}""", "outputControl.teams.core.reasoning.maxEffort")]
    [InlineData("""{"outputControl":{"maxTokens":{"defualt":1024}}}""", "defualt")]
    public void BadOutputControl_FailsInOneLine_NamingTheKey(string json, string named)
    {
        var ex = Assert.Throws<ConfigurationException>(() => ConfigurationLoader.Load(Write(json)));
        Assert.Contains(named, ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', ex.Message);
    }

    [Fact]
    public async Task Cli_Serve_WithACapBelowTheDefault_ExitsTwo_NamingTheKey()
    {
        var (exit, _, stderr) = await CliProcess.RunAsync("serve", "--config", Write("""{"outputControl":{"maxTokens":{"default":4096,"cap":1024}}}"""),
            "--urls", "http://127.0.0.1:0", "--data", _dir);
        Assert.Equal(2, exit);
        Assert.Contains("outputControl.maxTokens.cap", stderr, StringComparison.Ordinal);
        Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }
}
