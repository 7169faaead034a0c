using System.Text.Json;
using Microsoft.AspNetCore.Http;
using TokenOps.Core.Metering;
using TokenOps.Simulator.Generation;
using TokenOps.Simulator.Infrastructure;

namespace TokenOps.Simulator.Protocols.OpenAI;

/// <summary>
/// <c>POST /v1/audio/speech</c>: text to speech, answered with the audio itself (<c>response_format</c> mp3, opus, aac,
/// flac, wav or pcm), or for gpt-4o-mini-tts with <c>stream_format: "sse"</c> as <c>speech.audio.delta</c> events and a
/// <c>speech.audio.done</c> event carrying the usage. The speech lasts one second per 15 characters at speed 1. tts-1
/// and tts-1-hd are billed per input character; gpt-4o-mini-tts in tokens: the text's (ceil(bytes / 4)) as input and
/// 20 audio tokens per second of speech as output. wav and pcm hold silence at 24 kHz, 16-bit mono; the compressed
/// formats are filler bytes at 128 kbps behind the format's magic number (nobody here decodes them).
/// </summary>
internal sealed class AudioSpeechEndpoint(SimHost host)
{
    public const int MaxInputCharacters = 4096;
    public const double CharactersPerSecond = 15;
    public const double AudioTokensPerSecond = 20;
    private static readonly string[] Formats = ["mp3", "opus", "aac", "flac", "wav", "pcm"];

    public async Task HandleAsync(HttpContext context)
    {
        using var input = await OpenAIRequest.ReadAsync(context, host.Options);
        if (input is null)
        {
            return;
        }

        var root = input.Root;
        var model = input.Model;
        if (root.Prop("input"u8) is not { ValueKind: JsonValueKind.String } text)
        {
            await ProtocolErrors.OpenAIAsync(context, 400, "Missing required parameter: 'input'.", param: "input", code: "missing_required_parameter");
            return;
        }

        var characters = CountCharacters(text.GetString()!);
        if (characters > MaxInputCharacters)
        {
            await ProtocolErrors.OpenAIAsync(context, 400, $"Invalid 'input': string too long. Expected a string with maximum length {MaxInputCharacters}, but got a string with length {characters} instead.",
                param: "input", code: "string_above_max_length");
            return;
        }

        if (root.StringProp("voice"u8) is not { Length: > 0 })
        {
            await ProtocolErrors.OpenAIAsync(context, 400, "Missing required parameter: 'voice'.", param: "voice", code: "missing_required_parameter");
            return;
        }

        var format = root.StringProp("response_format"u8) ?? "mp3";
        if (Array.IndexOf(Formats, format) < 0)
        {
            await ProtocolErrors.OpenAIAsync(context, 400, $"Invalid value: '{format}'. Supported values are: 'mp3', 'opus', 'aac', 'flac', 'wav', and 'pcm'.", param: "response_format", code: "invalid_value");
            return;
        }

        var speed = root.Prop("speed"u8) is { ValueKind: JsonValueKind.Number } s ? s.GetDouble() : 1.0;
        if (speed is < 0.25 or > 4.0)
        {
            await ProtocolErrors.OpenAIAsync(context, 400, $"Invalid 'speed': {speed}. Expected a value between 0.25 and 4.0.", param: "speed", code: "invalid_value");
            return;
        }

        var perCharacter = model.StartsWith("tts-1", StringComparison.Ordinal);
        var sse = root.StringProp("stream_format"u8) == "sse";
        if (sse && perCharacter)
        {
            await ProtocolErrors.OpenAIAsync(context, 400, $"stream_format 'sse' is not supported for model {model}.", param: "stream_format", code: "unsupported_value");
            return;
        }

        var milliseconds = (long)Math.Ceiling(characters / CharactersPerSecond / speed * 1000);
        var textTokens = (System.Runtime.InteropServices.JsonMarshal.GetRawUtf8Value(text).Length + 3) / 4
            + (root.Prop("instructions"u8) is { ValueKind: JsonValueKind.String } instructions ? (System.Runtime.InteropServices.JsonMarshal.GetRawUtf8Value(instructions).Length + 3) / 4 : 0);
        var audioTokens = (long)Math.Ceiling(milliseconds / 1000.0 * AudioTokensPerSecond);
        var plan = perCharacter
            ? new UsagePlan(0, 0, 0, 0, 0, 0, false, 0, Characters: characters)
            : new UsagePlan(textTokens, 0, 0, 0, audioTokens, 0, false, 0, AudioOutput: audioTokens);
        if (await OpenAIRequest.FaultAsync(context, host) is not { } fault)
        {
            return;
        }

        var call = host.NewCall(context, SimProtocols.OpenAISpeech, host.NewId("speech_"), model, plan, ServiceTier.Standard, fault, sse);
        context.Response.Headers["x-request-id"] = call.Id;
        var audio = Audio(format, milliseconds);
        await call.RunAsync(async _ =>
        {
            await call.DelayAsync(call.DelayBeforeFirstByteMs);
            if (!sse)
            {
                var response = context.Response;
                response.ContentType = ContentType(format);
                call.Record(completed: true);
                await response.WriteBodyAsync(audio, call.Aborted);
                return;
            }

            using var events = new SseWriter(context);
            for (var at = 0; at < audio.Length; at += 16 * 1024)
            {
                var json = events.Begin(default);
                json.WriteStartObject();
                json.WriteString("type"u8, "speech.audio.delta"u8);
                json.WriteBase64String("audio"u8, audio.AsSpan(at, Math.Min(16 * 1024, audio.Length - at)));
                json.WriteEndObject();
                events.End();
                await events.PaceAsync(call.ChunkDelayMs);
            }

            var done = events.Begin(default);
            done.WriteStartObject();
            done.WriteString("type"u8, "speech.audio.done"u8);
            done.WriteStartObject("usage"u8);
            done.WriteNumber("input_tokens"u8, textTokens);
            done.WriteNumber("output_tokens"u8, audioTokens);
            done.WriteNumber("total_tokens"u8, textTokens + audioTokens);
            done.WriteEndObject();
            done.WriteEndObject();
            events.End();
            call.Record(completed: true);
            await events.FlushAsync();
        });
    }

    /// <summary>Characters as OpenAI counts them for tts-1: Unicode code points.</summary>
    public static int CountCharacters(string text)
    {
        var count = 0;
        foreach (var _ in text.EnumerateRunes()) count++;
        return count;
    }

    private static byte[] Audio(string format, long milliseconds)
    {
        if (format == "wav") return AudioDuration.SilentWav(milliseconds);
        if (format == "pcm") return new byte[milliseconds * AudioDuration.PcmBytesPerSecond / 1000];
        var bytes = new byte[Math.Max(8, milliseconds * AudioDuration.NominalBytesPerSecond / 1000)];
        ReadOnlySpan<byte> magic = format switch
        {
            "mp3" => "ID3"u8,
            "opus" => "OggS"u8,
            "flac" => "fLaC"u8,
            _ => [0xFF, 0xF1],
        };
        magic.CopyTo(bytes);
        return bytes;
    }

    private static string ContentType(string format) => format switch
    {
        "mp3" => "audio/mpeg",
        "opus" => "audio/opus",
        "aac" => "audio/aac",
        "flac" => "audio/flac",
        "wav" => "audio/wav",
        _ => "audio/pcm",
    };
}
