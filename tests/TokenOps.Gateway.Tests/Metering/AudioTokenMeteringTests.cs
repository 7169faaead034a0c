using OpenAI.Chat;
using TokenOps.Core.Pricing;
using TokenOps.Gateway.Tests.Infrastructure;

namespace TokenOps.Gateway.Tests.Metering;

/// <summary>
/// Audio tokens in chat usage (<c>prompt_tokens_details.audio_tokens</c>, <c>completion_tokens_details.audio_tokens</c>),
/// sent and read by the official OpenAI SDK: the ledger keeps them in their own buckets, priced at the catalog's audio
/// rates, and the row equals the provider's bill.
/// </summary>
public sealed class AudioTokenMeteringTests(SharedGateway shared) : IClassFixture<SharedGateway>
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AudioInAndOut_AreTheirOwnBuckets_AtTheAudioRates(bool stream)
    {
        var gateway = shared.Gateway;
        var key = gateway.CreateKey("vera", "voice");
        var client = shared.Chat("gpt-4o-audio-preview", key);
        var wav = BinaryData.FromBytes(Enumerable.Range(0, 3000).Select(i => (byte)(i * 7)).ToArray());
        ChatMessage[] messages = [new UserChatMessage(ChatMessageContentPart.CreateTextPart("Transcribe and answer aloud."), ChatMessageContentPart.CreateInputAudioPart(wav, ChatInputAudioFormat.Wav))];
        var options = new ChatCompletionOptions
        {
            ResponseModalities = ChatResponseModalities.Text | ChatResponseModalities.Audio,
            AudioOptions = new ChatAudioOptions(ChatOutputAudioVoice.Alloy, ChatOutputAudioFormat.Mp3),
        };
        string id;
        ChatTokenUsage usage;
        if (stream)
        {
            (id, usage) = (null!, null!);
            await foreach (var update in client.CompleteChatStreamingAsync(messages, options))
            {
                id ??= update.CompletionId;
                usage ??= update.Usage;
            }
        }
        else
        {
            ChatCompletion completion = await client.CompleteChatAsync(messages, options);
            (id, usage) = (completion.Id, completion.Usage);
        }

        Assert.True(usage.InputTokenDetails.AudioTokenCount > 0);
        Assert.True(usage.OutputTokenDetails.AudioTokenCount > 0);
        var row = (await gateway.LedgerAsync()).Single(r => r.ProviderRequestId == id);
        Assert.Equal(usage.InputTokenDetails.AudioTokenCount, row.Usage.AudioInput);
        Assert.Equal(usage.OutputTokenDetails.AudioTokenCount, row.Usage.AudioOutput);
        var bill = gateway.Bill.Find(id)!;
        Assert.Equal(bill.Usage, row.Usage);
        Assert.Equal(gateway.BilledNanos([bill]), row.CostNanos);
        // gpt-4o-audio-preview: input 2.5e-6, audio in 4e-5, output 1e-5, audio out 8e-5 per token (the snapshot).
        Assert.Equal(row.Usage.AudioInput * 4e-5m, row.Cost.AudioInput);
        Assert.Equal(row.Usage.AudioOutput * 8e-5m, row.Cost.AudioOutput);
        Assert.Equal((row.Usage.UncachedInput - row.Usage.AudioInput) * 2.5e-6m, row.Cost.UncachedInput);
        Assert.Equal((row.Usage.Output - row.Usage.AudioOutput) * 1e-5m, row.Cost.Output);
    }
}
