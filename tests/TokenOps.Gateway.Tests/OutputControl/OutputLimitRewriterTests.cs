using System.Text;
using System.Text.Json;
using TokenOps.Gateway.OutputControl;

namespace TokenOps.Gateway.Tests.OutputControl;

/// <summary>The body as the provider receives it: only the output fields change, every other byte passes through.</summary>
public sealed class OutputLimitRewriterTests
{
    private static OutputRewrite Apply(string body, string route, OutputLimits limits, bool openAIModel = true, long? modelMax = null) =>
        OutputLimitRewriter.Apply(Encoding.UTF8.GetBytes(body), route, limits, openAIModel, modelMax);

    private static JsonElement Json(OutputRewrite r) => JsonDocument.Parse(r.Body).RootElement.Clone();

    [Fact]
    public void Chat_WithoutALimit_GetsTheDefault_InMaxCompletionTokens_ForOpenAIModels()
    {
        const string body = """{"model":"gpt-5","messages":[{"role":"user","content":"hi"}],"x_unknown":{"keep":[1, 2]}}""";
        var r = Apply(body, "openai.chat", new OutputLimits(1024, null, null, null));
        Assert.Equal(1024, Json(r).GetProperty("max_completion_tokens").GetInt64());
        Assert.False(Json(r).TryGetProperty("max_tokens", out _));
        Assert.Equal(1024, r.MaxOutputTokens);
        Assert.Equal("max_completion_tokens=1024(default)", r.Applied);
        // Every byte of the client's body is still there, spacing included.
        Assert.Contains("\"x_unknown\":{\"keep\":[1, 2]}", Encoding.UTF8.GetString(r.Body), StringComparison.Ordinal);
    }

    [Fact]
    public void Chat_WithoutALimit_OnAnotherOpenAICompatibleServer_GetsMaxTokens_BoundedByTheModelsOwnLimit()
    {
        var r = Apply("""{"model":"deepseek-chat","messages":[]}""", "openai.chat", new OutputLimits(16000, null, null, null), openAIModel: false, modelMax: 8192);
        Assert.Equal(8192, Json(r).GetProperty("max_tokens").GetInt64());
        Assert.False(Json(r).TryGetProperty("max_completion_tokens", out _));
        Assert.Equal("max_tokens=8192(default)", r.Applied);
    }

    [Fact]
    public void Chat_ExplicitNullLimit_CountsAsNone_AndIsReplacedInPlace()
    {
        var r = Apply("""{"model":"gpt-5","max_completion_tokens":null,"messages":[]}""", "openai.chat", new OutputLimits(512, null, null, null));
        Assert.Equal("""{"model":"gpt-5","max_completion_tokens":512,"messages":[]}""", Encoding.UTF8.GetString(r.Body));
    }

    [Fact]
    public void Chat_Cap_LowersEveryLimitFieldTheBodyHas()
    {
        var r = Apply("""{"model":"gpt-5","max_completion_tokens":9000,"max_tokens":7000,"messages":[]}""", "openai.chat", new OutputLimits(null, 4096, null, null));
        Assert.Equal(4096, Json(r).GetProperty("max_completion_tokens").GetInt64());
        Assert.Equal(4096, Json(r).GetProperty("max_tokens").GetInt64());
        Assert.Equal(4096, r.MaxOutputTokens);
        Assert.Equal("max_completion_tokens=4096(cap);max_tokens=4096(cap)", r.Applied);
    }

    [Fact]
    public void Chat_Cap_LowersOnlyTheFieldAboveIt()
    {
        var r = Apply("""{"model":"gpt-5","max_completion_tokens":100,"max_tokens":7000,"messages":[]}""", "openai.chat", new OutputLimits(null, 4096, null, null));
        Assert.Equal(100, Json(r).GetProperty("max_completion_tokens").GetInt64());
        Assert.Equal(4096, Json(r).GetProperty("max_tokens").GetInt64());
        Assert.Equal(4096, r.MaxOutputTokens);
        Assert.Equal("max_tokens=4096(cap)", r.Applied);
    }

    [Fact]
    public void Chat_ClientLimitBelowTheCap_AndNoDefaultNeeded_IsUntouched()
    {
        const string body = """{"model":"gpt-5","max_completion_tokens":300,"messages":[]}""";
        var r = Apply(body, "openai.chat", new OutputLimits(1024, 4096, null, null));
        Assert.Null(r.Applied);
        Assert.Equal(body, Encoding.UTF8.GetString(r.Body));
    }

    [Theory]
    [InlineData("high", "low", "low")]
    [InlineData("xhigh", "medium", "medium")]
    [InlineData("medium", "medium", null)]
    [InlineData("minimal", "low", null)]
    [InlineData("none", "minimal", null)]
    [InlineData("turbo", "low", null)]
    public void Chat_ReasoningCeiling_LowersTheEffort_NeverRaisesIt(string asked, string ceiling, string? sent)
    {
        var body = $$"""{"model":"gpt-5","reasoning_effort":"{{asked}}","messages":[]}""";
        var r = Apply(body, "openai.chat", new OutputLimits(null, null, ceiling, null));
        Assert.Equal(sent ?? asked, Json(r).GetProperty("reasoning_effort").GetString());
        Assert.Equal(sent is null ? null : $"reasoning_effort={sent}(ceiling)", r.Applied);
    }

    [Fact]
    public void Chat_ReasoningCeiling_AddsNoEffortTheClientDidNotSend()
    {
        // A model without reasoning refuses the field, so none is added.
        var r = Apply("""{"model":"gpt-4o","messages":[]}""", "openai.chat", new OutputLimits(null, null, "low", null));
        Assert.Null(r.Applied);
        Assert.False(Json(r).TryGetProperty("reasoning_effort", out _));
    }

    [Fact]
    public void Responses_DefaultAndCapInMaxOutputTokens_CeilingInReasoningEffort_KeepingTheOtherReasoningFields()
    {
        var r = Apply("""{"model":"o3","input":"plan","reasoning":{"summary":"auto","effort":"high"}}""", "openai.responses", new OutputLimits(2048, 8192, "low", null));
        var json = Json(r);
        Assert.Equal(2048, json.GetProperty("max_output_tokens").GetInt64());
        Assert.Equal("low", json.GetProperty("reasoning").GetProperty("effort").GetString());
        Assert.Equal("auto", json.GetProperty("reasoning").GetProperty("summary").GetString());
        Assert.Equal("max_output_tokens=2048(default);reasoning.effort=low(ceiling)", r.Applied);

        var capped = Apply("""{"model":"o3","input":"plan","max_output_tokens":50000}""", "openai.responses", new OutputLimits(2048, 8192, "low", null));
        Assert.Equal(8192, Json(capped).GetProperty("max_output_tokens").GetInt64());
        Assert.Equal("max_output_tokens=8192(cap)", capped.Applied);
    }

    [Fact]
    public void Messages_Cap_LowersMaxTokens_TheDefaultNeverApplies()
    {
        var r = Apply("""{"model":"claude-sonnet-4-5","max_tokens":64000,"messages":[]}""", "anthropic.messages", new OutputLimits(1024, 4096, null, null));
        Assert.Equal(4096, Json(r).GetProperty("max_tokens").GetInt64());
        Assert.Equal("max_tokens=4096(cap)", r.Applied);
        Assert.Null(Apply("""{"model":"claude-sonnet-4-5","max_tokens":300,"messages":[]}""", "anthropic.messages", new OutputLimits(1024, 4096, null, null)).Applied);
    }

    [Fact]
    public void Messages_CapBelowTheThinkingBudget_LowersTheBudget_KeepingTheClientsShare()
    {
        var r = Apply("""{"model":"claude-sonnet-4-5","max_tokens":16000,"thinking":{"type":"enabled","budget_tokens":8000},"messages":[]}""",
            "anthropic.messages", new OutputLimits(null, 4096, null, null));
        var json = Json(r);
        Assert.Equal(4096, json.GetProperty("max_tokens").GetInt64());
        // Half of the client's limit went to thinking: half of the new one does.
        Assert.Equal(2048, json.GetProperty("thinking").GetProperty("budget_tokens").GetInt64());
        Assert.Equal("enabled", json.GetProperty("thinking").GetProperty("type").GetString());
        Assert.Equal("max_tokens=4096(cap);thinking.budget_tokens=2048(cap)", r.Applied);
    }

    [Fact]
    public void Messages_CapAboveTheThinkingBudget_LeavesTheBudget()
    {
        var r = Apply("""{"model":"claude-sonnet-4-5","max_tokens":16000,"thinking":{"type":"enabled","budget_tokens":2000},"messages":[]}""",
            "anthropic.messages", new OutputLimits(null, 4096, null, null));
        Assert.Equal(2000, Json(r).GetProperty("thinking").GetProperty("budget_tokens").GetInt64());
        Assert.Equal("max_tokens=4096(cap)", r.Applied);
    }

    [Fact]
    public void Messages_ThinkingBudgetNeverBelowAnthropicsMinimum_AndOffWhenNoRoomIsLeft()
    {
        var low = Apply("""{"model":"claude-sonnet-4-5","max_tokens":32000,"thinking":{"type":"enabled","budget_tokens":4000},"messages":[]}""",
            "anthropic.messages", new OutputLimits(null, 2000, null, null));
        Assert.Equal(1024, Json(low).GetProperty("thinking").GetProperty("budget_tokens").GetInt64());

        var none = Apply("""{"model":"claude-sonnet-4-5","max_tokens":32000,"thinking":{"type":"enabled","budget_tokens":20000},"messages":[]}""",
            "anthropic.messages", new OutputLimits(null, 1000, null, null));
        Assert.Equal("disabled", Json(none).GetProperty("thinking").GetProperty("type").GetString());
        Assert.False(Json(none).GetProperty("thinking").TryGetProperty("budget_tokens", out _));
        Assert.Equal("max_tokens=1000(cap);thinking=disabled(cap)", none.Applied);
    }

    [Fact]
    public void Messages_BudgetCeiling_LowersTheBudget_NeverRaisesIt_AndKeepsOtherThinkingFields()
    {
        var r = Apply("""{"model":"claude-opus-4-5","max_tokens":32000,"thinking":{"type":"enabled","budget_tokens":20000,"display":"summarized"},"messages":[]}""",
            "anthropic.messages", new OutputLimits(null, null, null, 8000));
        var thinking = Json(r).GetProperty("thinking");
        Assert.Equal(8000, thinking.GetProperty("budget_tokens").GetInt64());
        Assert.Equal("summarized", thinking.GetProperty("display").GetString());
        Assert.Equal("thinking.budget_tokens=8000(ceiling)", r.Applied);
        Assert.Null(Apply("""{"model":"claude-opus-4-5","max_tokens":32000,"thinking":{"type":"enabled","budget_tokens":3000},"messages":[]}""",
            "anthropic.messages", new OutputLimits(null, null, null, 8000)).Applied);
    }

    [Fact]
    public void Messages_InterleavedThinkingBudgetAboveTheClientsOwnLimit_IsTheClientsChoice()
    {
        // The interleaved-thinking beta allows a budget above max_tokens; a cap does not touch it (only the ceiling would).
        var r = Apply("""{"model":"claude-sonnet-4-5","max_tokens":16000,"thinking":{"type":"enabled","budget_tokens":20000},"messages":[]}""",
            "anthropic.messages", new OutputLimits(null, 4096, null, null));
        Assert.Equal(20000, Json(r).GetProperty("thinking").GetProperty("budget_tokens").GetInt64());
    }

    [Fact]
    public void OtherRoutes_AreNeverChanged()
    {
        const string body = """{"model":"text-embedding-3-small","input":"x"}""";
        var r = Apply(body, "openai.embeddings", new OutputLimits(1024, 4096, "low", 2000));
        Assert.Null(r.Applied);
        Assert.Equal(body, Encoding.UTF8.GetString(r.Body));
    }

    [Fact]
    public void EscapedFieldNames_AreRecognised()
    {
        // "max\u005ftokens" is max_tokens to every JSON reader, the provider's included.
        var r = Apply("""{"model":"gpt-4o","max\u005ftokens":9000,"messages":[]}""", "openai.chat", new OutputLimits(1024, 4096, null, null));
        Assert.Equal(4096, Json(r).GetProperty("max_tokens").GetInt64());
        Assert.False(Json(r).TryGetProperty("max_completion_tokens", out _));
    }
}
