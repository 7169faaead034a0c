using Xunit;
using TokenOps.Core.Metering;

namespace TokenOps.Core.Tests.Metering;

public sealed class AudioDurationTests
{
    [Fact]
    public void Wav_IsReadExactlyFromItsHeader_EvenWithAnExtraChunkBeforeTheData()
    {
        var wav = AudioDuration.SilentWav(2500, sampleRate: 16_000);
        Assert.Equal((2500L, true), AudioDuration.OfFile(wav));
        // A LIST chunk between fmt and data (as many recorders write).
        var list = new byte[] { (byte)'L', (byte)'I', (byte)'S', (byte)'T', 4, 0, 0, 0, 1, 2, 3, 4 };
        var withList = wav[..36].Concat(list).Concat(wav[36..]).ToArray();
        Assert.Equal(2500L, AudioDuration.WavMilliseconds(withList));
    }

    [Fact]
    public void AStreamedWav_WithoutADataSize_IsTheBytesPresent()
    {
        var wav = AudioDuration.SilentWav(1000);
        BitConverter.GetBytes(uint.MaxValue).CopyTo(wav, 40);
        Assert.Equal(1000L, AudioDuration.WavMilliseconds(wav));
    }

    [Fact]
    public void CompressedAudio_IsEstimatedAt128Kbps_AndBoundedAt8Kbps()
    {
        var mp3 = new byte[160_000];
        Assert.Equal((10_000L, false), AudioDuration.OfFile(mp3));
        Assert.Equal(160_000L, AudioDuration.UpperBoundMilliseconds(mp3));
        Assert.Null(AudioDuration.WavMilliseconds("RIFF\0\0\0\0WAVE"u8));
    }

    [Fact]
    public void Speech_PcmIsExact_At24kHz16BitMono()
    {
        Assert.Equal((1000L, true), AudioDuration.OfSpeech(new byte[48_000], "pcm"));
        Assert.Equal((500L, false), AudioDuration.OfSpeech(new byte[8_000], "mp3"));
    }
}
