using TokenOps.Core.Metering;
using TokenOps.Core.Pricing;
using Xunit;

namespace TokenOps.Core.Tests.Pricing;

/// <summary>
/// Audio and image tokens, images, seconds and characters, priced from the bundled catalog snapshot. Every figure is
/// worked by hand from the snapshot's rates (quoted beside each test), not from the calculator.
/// </summary>
public sealed class PricedUnitTests
{
    [Fact]
    public void AudioTokens_ArePricedAtTheAudioRates_AndTakenOutOfTheTextBuckets()
    {
        // gpt-4o-audio-preview: input 2.5e-6, input audio 4e-5, output 1e-5, output audio 8e-5 per token.
        var price = TestCatalog.Get("gpt-4o-audio-preview");
        Assert.Equal(4e-5m, price.InputAudio);
        Assert.Equal(8e-5m, price.OutputAudio);
        var cost = CostCalculator.Compute(price, new TokenUsage { UncachedInput = 1000, AudioInput = 400, Output = 500, AudioOutput = 300 });
        Assert.Equal(0.0015m, cost.UncachedInput); // 600 text tokens x 2.5e-6
        Assert.Equal(0.016m, cost.AudioInput);     // 400 x 4e-5
        Assert.Equal(0.002m, cost.Output);         // 200 text tokens x 1e-5
        Assert.Equal(0.024m, cost.AudioOutput);    // 300 x 8e-5
        Assert.Equal(0.0435m, cost.Total);
    }

    [Fact]
    public void AudioTokens_OfAModelWithoutAnAudioRate_CostTheTextRate()
    {
        // gpt-4o: input 2.5e-6, output 1e-5, no audio rates.
        var cost = CostCalculator.Compute(TestCatalog.Get("gpt-4o"), new TokenUsage { UncachedInput = 100, AudioInput = 100, Output = 10, AudioOutput = 10 });
        Assert.Equal(0.00025m, cost.AudioInput);
        Assert.Equal(0.0001m, cost.AudioOutput);
        Assert.Equal(0m, cost.UncachedInput + cost.Output);
    }

    [Fact]
    public void GptImage1_PricesTextInput_ImageInput_AndImageOutputTokens()
    {
        // gpt-image-1: input 5e-6, input image 1e-5, output image 4e-5; it has no plain output rate.
        var price = TestCatalog.Get("gpt-image-1");
        Assert.False(price.IsPriced);
        Assert.True(price.IsCostable);
        var cost = CostCalculator.Compute(price, new TokenUsage { UncachedInput = 50, ImageInput = 10, Output = 4160, ImageOutput = 4160 });
        Assert.Equal(0.0002m, cost.UncachedInput); // 40 x 5e-6
        Assert.Equal(0.0001m, cost.ImageInput);    // 10 x 1e-5
        Assert.Equal(0.1664m, cost.ImageOutput);   // 4160 x 4e-5
        Assert.Equal(0m, cost.Output);
        Assert.Equal(0.1667m, cost.Total);
    }

    [Theory]
    [InlineData("dall-e-3", 2, "0.08")]                            // input_cost_per_image 0.04
    [InlineData("dall-e-2", 3, "0.06")]                            // input_cost_per_image 0.02
    [InlineData("hd/1024-x-1024/dall-e-3", 1, "0.07999586304")]    // input_cost_per_pixel 7.629e-08 x 1024 x 1024
    [InlineData("256-x-256/dall-e-2", 2, "0.03199991808")]         // 2.4414e-07 x 256 x 256, twice
    [InlineData("low/1024-x-1024/gpt-image-1", 4, "0.044")]        // input_cost_per_image 0.011 wins over the pixel rate
    public void Images_ArePricedPerImage_FromThePerImageOrPerPixelPrice(string model, long images, string expected)
    {
        var cost = CostCalculator.Compute(TestCatalog.Get(model), new TokenUsage { Images = images });
        Assert.Equal(decimal.Parse(expected, System.Globalization.CultureInfo.InvariantCulture), cost.Images);
        Assert.Equal(cost.Images, cost.Total);
    }

    [Fact]
    public void Transcription_IsPricedPerSecond_SpeechPerCharacter()
    {
        // whisper-1: input_cost_per_second 0.0001; tts-1: input_cost_per_character 1.5e-5; tts-1-hd: 3e-5.
        Assert.Equal(0.00125m, CostCalculator.Compute(TestCatalog.Get("whisper-1"), new TokenUsage { AudioMilliseconds = 12_500 }).AudioSeconds);
        Assert.Equal(0.015m, CostCalculator.Compute(TestCatalog.Get("tts-1"), new TokenUsage { Characters = 1000 }).Characters);
        Assert.Equal(0.00129m, CostCalculator.Compute(TestCatalog.Get("tts-1-hd"), new TokenUsage { Characters = 43 }).Total);
    }

    [Fact]
    public void TokenPricedTranscription_PricesAudioInputAndTextOutput()
    {
        // gpt-4o-mini-transcribe: input (text) 1.25e-6, input audio 1.25e-6, output 5e-6.
        var cost = CostCalculator.Compute(TestCatalog.Get("gpt-4o-mini-transcribe"),
            new TokenUsage { UncachedInput = 1200, AudioInput = 1180, Output = 90 });
        Assert.Equal(0.000025m, cost.UncachedInput); // 20 prompt text tokens
        Assert.Equal(0.001475m, cost.AudioInput);    // 1180 x 1.25e-6
        Assert.Equal(0.00045m, cost.Output);         // 90 x 5e-6
    }

    [Fact]
    public void TheBatchLane_HalvesAudioAndUnitPrices()
    {
        var audio = CostCalculator.Compute(TestCatalog.Get("gpt-4o-audio-preview"), new TokenUsage { UncachedInput = 100, AudioInput = 100, Tier = ServiceTier.Batch });
        Assert.Equal(0.002m, audio.AudioInput); // 100 x 4e-5 / 2
        var images = CostCalculator.Compute(TestCatalog.Get("dall-e-3"), new TokenUsage { Images = 1, Tier = ServiceTier.Batch });
        Assert.Equal(0.02m, images.Images);
    }

    [Fact]
    public void TheReader_TakesEveryUnitField_AndDerivesAPerImagePriceFromTheKeysSize()
    {
        var catalog = PriceCatalog.Load(("""
            {
              "a": {"litellm_provider":"openai","input_cost_per_token":1e-6,"output_cost_per_token":2e-6,
                    "input_cost_per_audio_token":3e-6,"output_cost_per_audio_token":4e-6,
                    "input_cost_per_image_token":5e-6,"output_cost_per_image_token":6e-6},
              "i": {"litellm_provider":"vertex_ai","output_cost_per_image":0.03,"input_cost_per_image":0.001},
              "hd/512-x-256/p": {"litellm_provider":"openai","input_cost_per_pixel":1e-7,"output_cost_per_pixel":0.0},
              "s": {"litellm_provider":"openai","input_cost_per_second":0.0002,"output_cost_per_second":0.0001},
              "t": {"litellm_provider":"openai","output_cost_per_second":0.00025},
              "c": {"litellm_provider":"openai","input_cost_per_character":1e-5,"input_cost_per_character_above_128k_tokens":2e-5}
            }
            """u8).ToArray());
        Assert.True(catalog.TryGet("a", out var a));
        Assert.Equal((3e-6m, 4e-6m, 5e-6m, 6e-6m), (a!.InputAudio, a.OutputAudio, a.InputImage, a.OutputImage));
        Assert.True(catalog.TryGet("i", out var i));
        Assert.Equal(0.03m, i!.PerImage); // the generated image's price, not the input image's
        Assert.True(catalog.TryGet("hd/512-x-256/p", out var p));
        Assert.Equal(0.0131072m, p!.PerImage); // 1e-7 x 512 x 256
        Assert.True(catalog.TryGet("s", out var s));
        Assert.Equal(0.0002m, s!.PerSecond);
        Assert.True(catalog.TryGet("t", out var t));
        Assert.Equal(0.00025m, t!.PerSecond);
        Assert.True(catalog.TryGet("c", out var c));
        Assert.Equal(1e-5m, c!.PerCharacter);
        Assert.True(c.IsCostable);
        Assert.False(c.IsPriced);
    }

    [Fact]
    public void AModelPricedByNoUnitAtAll_IsStillRefused()
    {
        var price = new ModelPrice { Model = "x", Provider = "openai" };
        Assert.False(price.IsCostable);
        Assert.Throws<InvalidOperationException>(() => CostCalculator.Compute(price, new TokenUsage { Images = 1 }));
    }
}
