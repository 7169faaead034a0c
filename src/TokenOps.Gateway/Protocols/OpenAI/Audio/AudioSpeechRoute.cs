using System.Text;
using System.Text.Json;
using TokenOps.Core.Metering;
using TokenOps.Gateway.Metering;
using TokenOps.Gateway.Providers;

namespace TokenOps.Gateway.Protocols.OpenAI.Audio;

/// <summary>
/// POST /v1/audio/speech (text to speech). tts-1 and tts-1-hd are priced per input character, exactly, from the
/// request; gpt-4o-mini-tts in tokens, from the usage of its <c>stream_format: "sse"</c> answer, else estimated from
/// the text's tokens and the returned audio's length (the raw audio answer carries no usage). The hold covers every
/// bucket the model may be billed by.
/// </summary>
public sealed class AudioSpeechRoute : ProtocolRoute
{
    /// <summary>The API's limit on <c>input</c>.</summary>
    public const int MaxInputCharacters = 4096;

    /// <summary>Speech never runs slower than this at speed 1 (about a third of normal speech): the hold's duration bound.</summary>
    private const int SlowestCharactersPerSecond = 5;

    /// <summary>Audio tokens a second of speech may take, with margin (OpenAI's price list works out at about 21).</summary>
    internal const int AudioTokensPerSecondBound = 50;

    private static readonly string[] Formats = ["mp3", "opus", "aac", "flac", "wav", "pcm"];

    public override string Name => "openai.speech";
    public override string Path => "/v1/audio/speech";
    public override Dialect Dialect => Dialect.OpenAI;

    public override RequestFacts Read(JsonElement root)
    {
        var model = AudioFields.Model(JsonFields.RequiredModel(root));
        if (!root.TryGetProperty("input", out var input) || input.ValueKind != JsonValueKind.String || JsonText.SafeString(input) is not { Length: > 0 } text)
            throw GatewayException.BadRequest("missing_field", "The request body needs 'input' as a non-empty string (the text to speak).", "input");
        var characters = Characters(text);
        if (characters > MaxInputCharacters)
            throw GatewayException.BadRequest("invalid_value", $"'input' is {characters} characters; the speech endpoint takes at most {MaxInputCharacters}.", "input");
        if (!root.TryGetProperty("voice", out var voice) || voice.ValueKind is not (JsonValueKind.String or JsonValueKind.Object))
            throw GatewayException.BadRequest("missing_field", "The request body needs 'voice'.", "voice");
        var format = Text(root, "response_format") ?? "mp3";
        if (Array.IndexOf(Formats, format) < 0)
            throw GatewayException.BadRequest("invalid_value", $"'response_format' must be one of {string.Join(", ", Formats)}.", "response_format");
        var speed = 1.0;
        if (root.TryGetProperty("speed", out var s) && s.ValueKind != JsonValueKind.Null)
        {
            if (s.ValueKind != JsonValueKind.Number || !s.TryGetDouble(out speed) || speed is < 0.25 or > 4.0)
                throw GatewayException.BadRequest("invalid_value", "'speed' must be a number from 0.25 to 4.0.", "speed");
        }
        var streamFormat = Text(root, "stream_format") ?? "audio";
        if (streamFormat is not ("audio" or "sse"))
            throw GatewayException.BadRequest("invalid_value", "'stream_format' must be \"audio\" or \"sse\".", "stream_format");
        var textBytes = Encoding.UTF8.GetByteCount(text) + (Text(root, "instructions") is { } instructions ? Encoding.UTF8.GetByteCount(instructions) : 0);
        var boundMs = (long)Math.Ceiling(characters * 1000.0 / SlowestCharactersPerSecond / speed) + 1000;
        var audioTokens = boundMs * AudioTokensPerSecondBound / 1000;
        var bound = new TokenUsage
        {
            Characters = characters,
            AudioMilliseconds = boundMs,
            // A token is at least one byte of text.
            UncachedInput = textBytes,
            Output = audioTokens,
            AudioOutput = audioTokens,
        };
        return new RequestFacts(model, streamFormat == "sse", null, true, UnitBound: bound, Audio: new AudioRequest(format) { Characters = characters });
    }

    private static string? Text(JsonElement root, string name)
    {
        if (!root.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        if (v.ValueKind != JsonValueKind.String)
            throw GatewayException.BadRequest("invalid_type", $"'{name}' must be a string, not {JsonFields.Kind(v)}.", name);
        return JsonText.SafeString(v);
    }

    /// <summary>Characters as tts-1 is billed for them: Unicode code points.</summary>
    public static int Characters(string text)
    {
        var count = 0;
        foreach (var _ in text.EnumerateRunes()) count++;
        return count;
    }

    public override UsageMeter CreateMeter(RequestFacts facts) => new SpeechMeter(facts.Audio!, null);

    public override UsageMeter CreateMeter(RequestFacts facts, ModelRoute served) => new SpeechMeter(facts.Audio!, served.Price);

    public override bool IsPromptField(string name) => name is "input" or "instructions";

    public override void CollectPromptText(JsonElement root, StringBuilder text)
    {
        foreach (var name in (string[])["input", "instructions"])
            if (root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String) text.Append(JsonText.SafeString(v)).Append(' ');
    }
}

/// <summary>
/// A speech answer: raw audio (its length read, never its content), or SSE events whose <c>speech.audio.done</c>
/// carries the usage in tokens. A model priced per character is billed the request's characters once audio came back.
/// </summary>
internal sealed class SpeechMeter(AudioRequest request, Core.Pricing.ModelPrice? price) : AudioEventMeter
{
    private long _audioBytes;
    private long _audioMilliseconds;

    private bool PerCharacter => price?.PerCharacter is not null;

    public override void OnJson(ReadOnlyMemory<byte> body)
    {
        // The answer is the audio itself.
        _audioMilliseconds = AudioDuration.OfSpeech(body.Span, request.Format).Milliseconds;
        if (PerCharacter) Usage = new TokenUsage { Characters = request.Characters };
    }

    protected override void OnTypedEvent(JsonElement type, JsonElement root, ReadOnlySpan<byte> data)
    {
        if (type.ValueEquals("speech.audio.delta"u8) && root.TryGetProperty("audio", out var audio) && audio.ValueKind == JsonValueKind.String)
            _audioBytes += System.Runtime.InteropServices.JsonMarshal.GetRawUtf8Value(audio).Length * 3L / 4;
        else if (type.ValueEquals("speech.audio.done"u8))
        {
            IsTerminal = true;
            if (root.TryGetProperty("usage", out var usage) && usage.ValueKind == JsonValueKind.Object)
            {
                var output = Int(usage, "output_tokens");
                Usage = PerCharacter
                    ? new TokenUsage { Characters = request.Characters }
                    : new TokenUsage { UncachedInput = Int(usage, "input_tokens"), Output = output, AudioOutput = output };
            }
        }
    }

    /// <summary>
    /// No usage: characters for a model priced by them; else the text's tokens and the audio's length, per second where
    /// the catalog gives that price, otherwise as audio tokens (about 21 a second, OpenAI's price list).
    /// </summary>
    public override TokenUsage CompleteEstimate(TokenUsage textEstimate)
    {
        if (PerCharacter) return new TokenUsage { Characters = request.Characters };
        var ms = _audioMilliseconds > 0 ? _audioMilliseconds : AudioDuration.OfSpeechLength(_audioBytes, request.Format).Milliseconds;
        if (price?.PerSecond is not null) return textEstimate with { Output = 0, AudioMilliseconds = ms };
        var tokens = (ms * 21 + 999) / 1000;
        return textEstimate with { Output = tokens, AudioOutput = tokens };
    }
}
