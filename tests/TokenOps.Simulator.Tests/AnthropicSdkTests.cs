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
    public async Task CacheControl_ReportsDisjointCacheBuckets()
    {
        using var client = Server.Anthropic();
        var longSystem = string.Join(' ', Enumerable.Repeat("policy text", 500));
        var sawRead = false;
        var sawWrite1h = false;
        var sawWrite5m = false;
        var log = new StringBuilder();
        for (var i = 0; i < 12 && !(sawRead && sawWrite1h && sawWrite5m); i++)
        {
            var ttl = i % 2 == 0 ? Ttl.Ttl1h : Ttl.Ttl5m;
            var message = await client.Messages.Create(new MessageCreateParams
            {
                Model = "claude-sonnet-4-5",
                MaxTokens = 64,
                System = new List<TextBlockParam> { new(longSystem) { CacheControl = new CacheControlEphemeral { Ttl = ttl } } },
                Messages = [new UserMessageParam { Content = $"question {i}" }],
            });

            var usage = message.Usage;
            log.Append($"[{i} {ttl} r={usage.CacheReadInputTokens} w5={usage.CacheCreation?.Ephemeral5mInputTokens} w1={usage.CacheCreation?.Ephemeral1hInputTokens}]");
            var entry = Server.Bill.Find(message.ID)!;
            AssertUsage(usage, entry.Usage);
            var prefix = (usage.CacheReadInputTokens ?? 0) + (usage.CacheCreationInputTokens ?? 0);
            Assert.True(prefix > 1000, "the cached prefix is the system prompt");
            Assert.True(usage.InputTokens > 0 && usage.InputTokens < 20, "only the question is uncached");
            sawRead |= usage.CacheReadInputTokens > 0;
            sawWrite1h |= usage.CacheCreation!.Ephemeral1hInputTokens > 0;
            sawWrite5m |= usage.CacheCreation!.Ephemeral5mInputTokens > 0;
            if (usage.CacheCreationInputTokens > 0)
            {
                Assert.Equal(ttl == Ttl.Ttl1h ? usage.CacheCreationInputTokens : 0, usage.CacheCreation.Ephemeral1hInputTokens);
            }
        }

        Assert.True(sawRead && sawWrite1h && sawWrite5m, "hash-chosen reads and writes of both TTLs " + log);
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
