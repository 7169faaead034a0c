using System.Buffers.Binary;

namespace TokenOps.Core.Metering;

/// <summary>
/// How long an audio file plays, read from its bytes without decoding: exact for WAV (its header says the byte rate and
/// the data size) and for OpenAI's raw <c>pcm</c> (24 kHz, 16-bit, mono); for compressed formats (mp3, opus, aac, flac,
/// m4a, webm) an estimate at a nominal 128 kbps, and for reservations a bound at 8 kbps, below any speech codec in use.
/// Providers bill transcription per second and do not always say how many seconds (text, srt and vtt answers carry no
/// usage), so the ledger needs its own reading.
/// </summary>
public static class AudioDuration
{
    /// <summary>OpenAI's <c>pcm</c> speech output: 24,000 samples a second, 16-bit, one channel.</summary>
    public const int PcmBytesPerSecond = 48_000;

    /// <summary>128 kbps, the usual rate of speech in mp3 and aac (an estimate for compressed audio).</summary>
    public const int NominalBytesPerSecond = 16_000;

    /// <summary>8 kbps: the lowest rate of any codec in common use, so a file cannot play longer than this says.</summary>
    public const int LowestBytesPerSecond = 1_000;

    /// <summary>The duration of a file: exact when it is WAV, else estimated at <see cref="NominalBytesPerSecond"/>.</summary>
    public static (long Milliseconds, bool Exact) OfFile(ReadOnlySpan<byte> file) =>
        WavMilliseconds(file) is { } wav ? (wav, true) : (Ms(file.Length, NominalBytesPerSecond), false);

    /// <summary>The longest a file can play: exact for WAV, else at <see cref="LowestBytesPerSecond"/>.</summary>
    public static long UpperBoundMilliseconds(ReadOnlySpan<byte> file) => WavMilliseconds(file) ?? Ms(file.Length, LowestBytesPerSecond);

    /// <summary>The duration of generated speech in an output format (<c>response_format</c>): exact for pcm and WAV.</summary>
    public static (long Milliseconds, bool Exact) OfSpeech(ReadOnlySpan<byte> audio, string format) =>
        format == "wav" && WavMilliseconds(audio) is { } wav ? (wav, true) : OfSpeechLength(audio.Length, format);

    /// <summary>The duration of <paramref name="bytes"/> of generated speech (streamed chunks, no header to read).</summary>
    public static (long Milliseconds, bool Exact) OfSpeechLength(long bytes, string format) => format is "pcm" or "wav"
        ? (Ms(bytes, PcmBytesPerSecond), format == "pcm")
        : (Ms(bytes, NominalBytesPerSecond), false);

    /// <summary>The duration a RIFF/WAVE header gives (data size over byte rate); null for anything else.</summary>
    public static long? WavMilliseconds(ReadOnlySpan<byte> file)
    {
        if (file.Length < 12 || !file[..4].SequenceEqual("RIFF"u8) || !file[8..12].SequenceEqual("WAVE"u8)) return null;
        long byteRate = 0;
        var at = 12;
        while (at + 8 <= file.Length)
        {
            var id = file.Slice(at, 4);
            var size = BinaryPrimitives.ReadUInt32LittleEndian(file.Slice(at + 4, 4));
            var body = at + 8;
            if (id.SequenceEqual("fmt "u8) && body + 12 <= file.Length)
                byteRate = BinaryPrimitives.ReadUInt32LittleEndian(file.Slice(body + 8, 4));
            else if (id.SequenceEqual("data"u8))
            {
                if (byteRate <= 0) return null;
                // A streamed WAV says 0 or 0xFFFFFFFF for "until the end": the bytes present are the audio.
                long data = size is 0 or uint.MaxValue || body + (long)size > file.Length ? file.Length - body : size;
                return data * 1000 / byteRate;
            }
            at = body + (int)Math.Min(size + (size & 1), int.MaxValue - body);
            if (at <= body - 8) return null;
        }
        return null;
    }

    /// <summary>A 16-bit mono PCM WAV file of silence (the simulator's speech and the tests' recordings).</summary>
    public static byte[] SilentWav(long milliseconds, int sampleRate = 24_000)
    {
        var data = checked((int)(milliseconds * sampleRate / 1000 * 2));
        var wav = new byte[44 + data];
        var s = wav.AsSpan();
        "RIFF"u8.CopyTo(s);
        BinaryPrimitives.WriteUInt32LittleEndian(s[4..], (uint)(36 + data));
        "WAVEfmt "u8.CopyTo(s[8..]);
        BinaryPrimitives.WriteUInt32LittleEndian(s[16..], 16);
        BinaryPrimitives.WriteUInt16LittleEndian(s[20..], 1); // PCM
        BinaryPrimitives.WriteUInt16LittleEndian(s[22..], 1); // mono
        BinaryPrimitives.WriteUInt32LittleEndian(s[24..], (uint)sampleRate);
        BinaryPrimitives.WriteUInt32LittleEndian(s[28..], (uint)(sampleRate * 2));
        BinaryPrimitives.WriteUInt16LittleEndian(s[32..], 2);
        BinaryPrimitives.WriteUInt16LittleEndian(s[34..], 16);
        "data"u8.CopyTo(s[36..]);
        BinaryPrimitives.WriteUInt32LittleEndian(s[40..], (uint)data);
        return wav;
    }

    private static long Ms(long bytes, int bytesPerSecond) => (bytes * 1000 + bytesPerSecond - 1) / bytesPerSecond;
}
