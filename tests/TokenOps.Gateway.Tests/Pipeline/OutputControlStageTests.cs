using System.ClientModel;
using System.Net;
using System.Text;
using Anthropic;
using Anthropic.Models.Messages;
using OpenAI.Chat;
using OpenAI.Responses;
using TokenOps.Core.Ledger;
using TokenOps.Core.Savings;
using TokenOps.Gateway.Configuration;
using TokenOps.Gateway.Pipeline;
using TokenOps.Gateway.Tests.Infrastructure;

namespace TokenOps.Gateway.Tests.Pipeline;

/// <summary>
/// Output control through the real gateway and the simulated provider (which obeys output limits: its natural answer is
/// 20 to 200 tokens, cut at the limit with finish_reason "length"; it refuses an Anthropic thinking budget at or above
/// max_tokens, as the API does). Every change lands on the ledger row with the lever "capped".
/// </summary>
public sealed class OutputControlStageTests(OutputControlStageTests.Fixture shared) : IClassFixture<OutputControlStageTests.Fixture>
{
    /// <summary>One gateway with output control for everyone, a route, a tier and three teams.</summary>
    public sealed class Fixture : IAsyncLifetime
    {
        public SharedGateway Shared { get; } = new();

        public async Task InitializeAsync() => await Shared.InitializeAsync(o =>
        {
            o.Budgets.Tiers["junior"] = new TierOptions { People = ["jun"] };
            o.OutputControl = new OutputControlOptions
            {
                MaxTokens = new MaxTokensOptions { Default = 16, Cap = 4096 },
                Reasoning = new ReasoningOptions { MaxEffort = "low", MaxBudgetTokens = 6000 },
                Routes =
                {
                    ["openai.responses"] = new() { MaxTokens = new() { Default = 32 } },
                    ["anthropic.messages"] = new() { MaxTokens = new() { Cap = 8192 } },
                },
                Tiers = { ["junior"] = new() { Reasoning = new() { MaxEffort = "minimal" } } },
                Teams =
                {
                    ["tight"] = new() { MaxTokens = new() { Cap = 16 } },
                    ["research"] = new() { MaxTokens = new() { Default = 2048, Cap = 64000 }, Reasoning = new() { MaxEffort = "high" } },
                    ["claude"] = new() { MaxTokens = new() { Cap = 4096 }, Reasoning = new() { MaxBudgetTokens = 32000 } },
                },
            };
        });

        public async Task DisposeAsync() => await Shared.DisposeAsync();
    }

    private GatewayFixture Gateway => shared.Shared.Gateway;
    private SharedGateway Clients => shared.Shared;

    private async Task<LedgerEntry> RowFor(string providerId)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            var row = (await Gateway.LedgerAsync()).SingleOrDefault(r => r.ProviderRequestId == providerId);
            if (row is not null || DateTime.UtcNow > deadline) return row ?? throw new Xunit.Sdk.XunitException($"no ledger row for {providerId}");
            await Task.Delay(20);
        }
    }

    private static void AssertCapped(LedgerEntry row, string outputControl)
    {
        Assert.Equal(outputControl, row.OutputControl);
        Assert.Equal(SavingsLevers.Capped, row.Levers);
        // Same tokens, same price: by the ledger's definition a limit saves nothing it can measure.
        Assert.Equal(0, row.Savings.NanosOf(SavingsLevers.Capped));
        Assert.Equal(row.CostNanos, row.AsAskedNanos);
    }

    [Fact]
    public async Task Chat_WithoutALimit_GetsTheDefault_AndTheProviderObeysIt()
    {
        var key = Gateway.CreateKey("olga", "payments");
        ChatCompletion completion = await Clients.Chat("gpt-4o-mini", key).CompleteChatAsync([new UserChatMessage("Explain idempotency keys.")]);

        Assert.Equal(ChatFinishReason.Length, completion.FinishReason);
        Assert.Equal(16, completion.Usage.OutputTokenCount);
        var row = await RowFor(completion.Id);
        AssertCapped(row, "max_completion_tokens=16(default)");
        Assert.Equal(Gateway.Bill.Find(completion.Id)!.Usage, row.Usage);
    }

    [Fact]
    public async Task Chat_Streamed_TheTeamCapLowersTheClientsLimit()
    {
        var key = Gateway.CreateKey("tia", "tight");
        string? id = null;
        ChatFinishReason? finish = null;
        ChatTokenUsage? usage = null;
        await foreach (var update in Clients.Chat("gpt-4o-mini", key).CompleteChatStreamingAsync(
            [new UserChatMessage("Stream a long essay about ledgers.")], new ChatCompletionOptions { MaxOutputTokenCount = 500 }))
        {
            id ??= update.CompletionId;
            finish ??= update.FinishReason;
            usage ??= update.Usage;
        }

        Assert.Equal(ChatFinishReason.Length, finish);
        Assert.Equal(16, usage!.OutputTokenCount);
        var row = await RowFor(id!);
        Assert.True(row.Streamed);
        AssertCapped(row, "max_completion_tokens=16(cap)");
    }

    [Fact]
    public async Task Chat_BothLimitFieldsAboveTheCap_AreBothLowered()
    {
        using var http = Gateway.Client(Gateway.CreateKey("tom", "tight"));
        using var response = await http.PostAsync("/v1/chat/completions", Json(
            """{"model":"gpt-4o-mini","max_completion_tokens":5000,"max_tokens":5000,"messages":[{"role":"user","content":"Write a long story."}]}"""));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("max_completion_tokens=16(cap);max_tokens=16(cap)", response.Headers.GetValues(OutputControlStage.Header).Single());
        var row = Assert.Single(await Gateway.LedgerAsync(), r => r.Person == "tom");
        AssertCapped(row, "max_completion_tokens=16(cap);max_tokens=16(cap)");
        Assert.Equal(16, Gateway.Bill.Find(row.ProviderRequestId!)!.Usage.Output);
    }

    [Fact]
    public async Task Chat_AClientLimitBelowTheCap_IsUntouched()
    {
        using var http = Gateway.Client(Gateway.CreateKey("una", "payments"));
        using var response = await http.PostAsync("/v1/chat/completions", Json(
            """{"model":"gpt-4o-mini","max_tokens":300,"messages":[{"role":"user","content":"Short answer please."}]}"""));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.False(response.Headers.Contains(OutputControlStage.Header));
        var row = Assert.Single(await Gateway.LedgerAsync(), r => r.Person == "una");
        Assert.Null(row.OutputControl);
        Assert.Null(row.Levers);
        Assert.True(row.Usage.Output > 16, "the simulator's natural answer (20 to 200 tokens) fits the client's own limit");
    }

    [Fact]
    public async Task Chat_ReasoningCeiling_LowersTheEffort_ButNeverRaisesIt()
    {
        var key = Gateway.CreateKey("rae", "payments");
        var chat = Clients.Chat("gpt-5-mini", key);
        ChatCompletion high = await chat.CompleteChatAsync([new UserChatMessage("Think hard.")],
            new ChatCompletionOptions { ReasoningEffortLevel = ChatReasoningEffortLevel.High, MaxOutputTokenCount = 100 });
        ChatCompletion minimal = await chat.CompleteChatAsync([new UserChatMessage("Think a little.")],
            new ChatCompletionOptions { ReasoningEffortLevel = ChatReasoningEffortLevel.Minimal, MaxOutputTokenCount = 100 });

        AssertCapped(await RowFor(high.Id), "reasoning_effort=low(ceiling)");
        Assert.Null((await RowFor(minimal.Id)).OutputControl);
    }

    [Fact]
    public async Task Chat_ATiersCeiling_BeatsTheTopLevel()
    {
        var key = Gateway.CreateKey("jun", "payments");
        ChatCompletion low = await Clients.Chat("gpt-5-mini", key).CompleteChatAsync([new UserChatMessage("Think.")],
            new ChatCompletionOptions { ReasoningEffortLevel = ChatReasoningEffortLevel.Low, MaxOutputTokenCount = 100 });
        AssertCapped(await RowFor(low.Id), "reasoning_effort=minimal(ceiling)");
    }

    [Fact]
    public async Task Responses_RouteDefaultAndCeiling_StreamedAndNot()
    {
        var client = Clients.Responses(Gateway.CreateKey("quinn", "platform"));
        var options = new CreateResponseOptions("o3", [ResponseItem.CreateUserMessageItem("Plan the migration.")])
        {
            ReasoningOptions = new ResponseReasoningOptions { ReasoningEffortLevel = ResponseReasoningEffortLevel.High },
        };
        ResponseResult plain = await client.CreateResponseAsync(options);
        options.StreamingEnabled = true;
        ResponseResult? streamed = null;
        await foreach (var update in await client.CreateResponseStreamingAsync(options))
            if (update is StreamingResponseIncompleteUpdate or StreamingResponseCompletedUpdate)
                streamed = update is StreamingResponseIncompleteUpdate i ? i.Response : ((StreamingResponseCompletedUpdate)update).Response;

        foreach (var response in new[] { plain, streamed! })
        {
            // The provider saw the route's default and the ceiling (it echoes both).
            Assert.Equal(32, response.MaxOutputTokenCount);
            Assert.Equal(ResponseReasoningEffortLevel.Low, response.ReasoningOptions.ReasoningEffortLevel);
            var row = await RowFor(response.Id);
            AssertCapped(row, "max_output_tokens=32(default);reasoning.effort=low(ceiling)");
            Assert.True(row.Usage.Output <= 32);
        }
    }

    [Fact]
    public async Task Responses_ATeamsDefault_BeatsTheRoutesDefault()
    {
        var client = Clients.Responses(Gateway.CreateKey("rita", "research"));
        ResponseResult response = await client.CreateResponseAsync(new CreateResponseOptions("o3", [ResponseItem.CreateUserMessageItem("Research plan.")])
        {
            ReasoningOptions = new ResponseReasoningOptions { ReasoningEffortLevel = ResponseReasoningEffortLevel.High },
        });

        Assert.Equal(2048, response.MaxOutputTokenCount);
        // The team's ceiling is high: the client's effort passes.
        Assert.Equal(ResponseReasoningEffortLevel.High, response.ReasoningOptions.ReasoningEffortLevel);
        AssertCapped(await RowFor(response.Id), "max_output_tokens=2048(default)");
    }

    [Fact]
    public async Task Messages_ACapBelowTheThinkingBudget_LowersTheBudgetToo_StreamedAndNot()
    {
        using var client = Clients.Anthropic(Gateway.CreateKey("cleo", "claude"));
        var request = new MessageCreateParams
        {
            Model = "claude-sonnet-4-5",
            MaxTokens = 16000,
            Thinking = new ThinkingConfigEnabled(8000),
            Messages = [new UserMessageParam { Content = "Reason about the budget policy." }],
        };
        var plain = await client.Messages.Create(request);
        var streamed = await client.Messages.CreateStreaming(request).Aggregate();

        foreach (var (id, isStreamed) in new[] { (plain.ID, false), (streamed.ID, true) })
        {
            var row = await RowFor(id);
            Assert.Equal((LedgerOutcome.Ok, isStreamed), (row.Outcome, row.Streamed));
            // Half of the client's limit was for thinking; half of the capped one is.
            AssertCapped(row, "max_tokens=4096(cap);thinking.budget_tokens=2048(cap)");
        }
    }

    [Fact]
    public async Task Messages_TheBudgetCeiling_LowersTheThinkingBudget()
    {
        using var client = Clients.Anthropic(Gateway.CreateKey("vic", "growth"));
        var message = await client.Messages.Create(new MessageCreateParams
        {
            Model = "claude-haiku-4-5",
            MaxTokens = 8000,
            Thinking = new ThinkingConfigEnabled(7000),
            Messages = [new UserMessageParam { Content = "Reason briefly." }],
        });
        AssertCapped(await RowFor(message.ID), "thinking.budget_tokens=6000(ceiling)");
    }

    [Fact]
    public async Task Messages_ABudgetAtMaxTokensThatNoLimitTouches_IsRefusedByTheProvider()
    {
        // What the stage protects against: the simulator refuses, as Anthropic does, a budget that is not below max_tokens.
        using var http = Gateway.Client();
        http.DefaultRequestHeaders.Add("x-api-key", Gateway.CreateKey("wes", "claude"));
        http.DefaultRequestHeaders.Add("anthropic-version", "2023-06-01");
        using var response = await http.PostAsync("/v1/messages", Json(
            """{"model":"claude-haiku-4-5","max_tokens":2000,"thinking":{"type":"enabled","budget_tokens":2000},"messages":[{"role":"user","content":"hi"}]}"""));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("budget_tokens", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");
}
