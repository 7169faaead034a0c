using System.Text;
using Anthropic;
using Anthropic.Exceptions;
using Anthropic.Models.Messages;
using TokenOps.Core.Metering;

namespace TokenOps.Simulator.Tests;

/// <summary>The official Anthropic .NET SDK (13.12) talks to the simulator and reads the same usage it bills.</summary>
public sealed class AnthropicSdkTests(SimulatorFixture fixture) : IClassFixture<SimulatorFixture>
{
    private SimulatorServer Server => fixture.Server;

    [Fact]
    public async Task Create_NonStreaming_UsageMatchesBill()
    {
        using var client = Server.Anthropic();
        var message = await client.Messages.Create(new MessageCreateParams
        {
            Model = "claude-sonnet-4-5",
            MaxTokens = 1024,
            System = "You are terse.",
            Messages = [new UserMessageParam { Content = "What does a FinOps gateway do?" }],
        });

        Assert.StartsWith("msg_", message.ID);
        Assert.Equal("claude-sonnet-4-5", message.Model.Raw());
        Assert.Equal(StopReason.EndTurn, message.StopReason!.Value());
        Assert.True(message.Content[0].TryPickText(out var text));
        Assert.Equal(message.Usage.OutputTokens, text!.Text.Split(' ').Length);

        var entry = Assert.IsType<BillEntry>(Server.Bill.Find(message.ID));
        Assert.Equal(SimProtocols.AnthropicMessages, entry.Protocol);
        Assert.False(entry.Streamed);
        Assert.True(entry.Completed);
        AssertUsage(message.Usage, entry.Usage);
        Assert.Equal(0, message.Usage.CacheReadInputTokens);
        Assert.Equal(0, message.Usage.CacheCreationInputTokens);
    }

    [Fact]
    public async Task CreateStreaming_AggregatedUsageMatchesBill()
    {
        using var client = Server.Anthropic();
        var parameters = new MessageCreateParams
        {
            Model = "claude-haiku-4-5",
            MaxTokens = 512,
            Messages = [new UserMessageParam { Content = "Stream a short answer." }],
        };

        var text = new StringBuilder();
        Usage? startUsage = null;
        MessageDeltaUsage? finalDelta = null;
        var events = 0;
        await foreach (var streamEvent in client.Messages.CreateStreaming(parameters))
        {
            events++;
            if (streamEvent.TryPickStart(out var start))
            {
                startUsage = start!.Message.Usage;
            }
            else if (streamEvent.TryPickContentBlockDelta(out var delta) && delta!.Delta.TryPickText(out var textDelta))
            {
                text.Append(textDelta!.Text);
            }
            else if (streamEvent.TryPickDelta(out var messageDelta))
            {
                finalDelta = messageDelta!.Usage;
            }
        }

        Assert.NotNull(startUsage);
        Assert.NotNull(finalDelta);
        Assert.True(events > 6);
        Assert.Equal(1, startUsage.OutputTokens);
        Assert.Equal(finalDelta.OutputTokens, text.ToString().Split(' ').Length);

        // The SDK's own accumulator: message_start usage overlaid by the last message_delta.
        var aggregated = await client.Messages.CreateStreaming(parameters).Aggregate();
        var entry = Assert.IsType<BillEntry>(Server.Bill.Find(aggregated.ID));
        Assert.True(entry.Streamed);
        Assert.True(entry.Completed);
        AssertUsage(aggregated.Usage, entry.Usage);
        Assert.Equal(finalDelta.OutputTokens, aggregated.Usage.OutputTokens);
    }

    [Fact]
    public async Task MaxTokens_StopsWithMaxTokens()
    {
        using var client = Server.Anthropic();
        var message = await client.Messages.Create(new MessageCreateParams
        {
            Model = "claude-opus-4-5",
            MaxTokens = 5,
            Messages = [new UserMessageParam { Content = "Write a novel." }],
        });

        Assert.Equal(StopReason.MaxTokens, message.StopReason!.Value());
        Assert.Equal(5, message.Usage.OutputTokens);
        Assert.Equal(5, Server.Bill.Find(message.ID)!.Usage.Output);
    }

    [Fact]
    public async Task CacheControl_WritesThenReads_InDisjointBucketsOfEachTtl()
    {
        using var client = Server.Anthropic();
        // A prompt no other test sends: this simulator's cache is shared by the class.
        var longSystem = string.Join(' ', Enumerable.Repeat("policy text " + Guid.NewGuid().ToString("N"), 150));
        async Task<Usage> Send(int i, Ttl ttl, string system)
        {
            var message = await client.Messages.Create(new MessageCreateParams
            {
                Model = "claude-sonnet-4-5",
                MaxTokens = 64,
                System = new List<TextBlockParam> { new(system) { CacheControl = new CacheControlEphemeral { Ttl = ttl } } },
                Messages = [new UserMessageParam { Content = $"question {i}" }],
            });
            AssertUsage(message.Usage, Server.Bill.Find(message.ID)!.Usage);
            Assert.True(message.Usage.InputTokens is > 0 and < 20, "only the question is uncached");
            return message.Usage;
        }

        var first = await Send(0, Ttl.Ttl1h, longSystem);
        Assert.True(first.CacheCreation!.Ephemeral1hInputTokens > 1000, "the system prompt is written at the 1-hour price");
        Assert.Equal((0L, 0L), (first.CacheReadInputTokens ?? 0, first.CacheCreation.Ephemeral5mInputTokens));
        var second = await Send(1, Ttl.Ttl5m, longSystem);
        Assert.Equal(first.CacheCreationInputTokens, second.CacheReadInputTokens);
        Assert.Equal(0, second.CacheCreationInputTokens ?? 0);
        var other = await Send(2, Ttl.Ttl5m, longSystem + " and one more rule");
        Assert.True(other.CacheCreation!.Ephemeral5mInputTokens > 1000, "a new prompt is a 5-minute write");
        Assert.Equal(0, other.CacheReadInputTokens ?? 0);
    }

    [Fact]
    public async Task Errors_SurfaceAsTypedExceptions()
    {
        await using var locked = await SimulatorServer.StartAsync(new SimulatorOptions { RequiredApiKey = "right-key" });
        using var client = locked.Anthropic();
        var parameters = new MessageCreateParams
        {
            Model = "claude-sonnet-4-5",
            MaxTokens = 16,
            Messages = [new UserMessageParam { Content = "hi" }],
        };

        var unauthorized = await Assert.ThrowsAsync<AnthropicUnauthorizedException>(() => client.Messages.Create(parameters));
        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, unauthorized.StatusCode);
        Assert.Contains("authentication_error", unauthorized.ResponseBody);
        Assert.Equal(0, locked.Bill.Count);

        using var faulty = Server.Anthropic().WithOptions(o => o with
        {
            ExtraHeaders = new Dictionary<string, string> { ["x-sim-fault"] = "error:529" },
        });
        var overloaded = await Assert.ThrowsAnyAsync<AnthropicApiException>(() => faulty.Messages.Create(parameters));
        Assert.Equal(529, (int)overloaded.StatusCode);
        Assert.Contains("overloaded_error", overloaded.ResponseBody);
    }

    private static void AssertUsage(Usage usage, TokenUsage billed)
    {
        Assert.Equal(usage.InputTokens, billed.UncachedInput);
        Assert.Equal(usage.CacheReadInputTokens ?? 0, billed.CacheRead);
        Assert.Equal(usage.CacheCreationInputTokens ?? 0, billed.CacheWrite5m + billed.CacheWrite1h);
        Assert.Equal(usage.CacheCreation?.Ephemeral5mInputTokens ?? 0, billed.CacheWrite5m);
        Assert.Equal(usage.CacheCreation?.Ephemeral1hInputTokens ?? 0, billed.CacheWrite1h);
        Assert.Equal(usage.OutputTokens, billed.Output);
        Assert.Equal(0, billed.Reasoning);
    }
}
