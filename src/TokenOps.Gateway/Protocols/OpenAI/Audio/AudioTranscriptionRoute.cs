using System.Text;
using System.Text.Json;
using TokenOps.Core.Metering;
using TokenOps.Gateway.Metering;
using TokenOps.Gateway.Providers;

namespace TokenOps.Gateway.Protocols.OpenAI.Audio;

/// <summary>
/// POST /v1/audio/transcriptions and /v1/audio/translations: a multipart form with the audio <c>file</c>. whisper-1
/// is priced per second, the gpt-4o transcribe models in tokens, both from the answer's <c>usage</c> (json,
/// verbose_json and the stream's <c>transcript.text.done</c>); answers without one (text, srt and vtt formats,
/// translations) are estimated from the file's length: exact for WAV, at 128 kbps for compressed audio. The hold
/// is the file's longest possible duration (its size at 8 kbps) in every bucket the model may be billed by.
/// </summary>
public sealed class AudioTranscriptionRoute(bool translate) : ProtocolRoute
{
    /// <summary>OpenAI's limit on the uploaded file.</summary>
    public const int MaxFileBytes = 25 * 1024 * 1024;

    /// <summary>Audio tokens a second, with margin, for the hold (OpenAI's published estimate is 1,000 a minute).</summary>
    private const int AudioTokensPerSecondBound = 25;

    /// <summary>Transcript tokens a second, with margin (speech is 2 to 3 words a second).</summary>
    private const int OutputTokensPerSecondBound = 10;

    public override string Name => translate ? "openai.translations" : "openai.transcriptions";
    public override string Path => translate ? "/v1/audio/translations" : "/v1/audio/transcriptions";
    public override Dialect Dialect => Dialect.OpenAI;
    public override bool JsonBody => false;

    /// <summary>A file the provider takes is never refused for its size (the caller is authenticated before any byte is read).</summary>
    public override long MaxBodyBytes(long configured) => Math.Max(configured, MaxFileBytes + 1024 * 1024);

    public override RequestFacts Read(JsonElement root) =>
        throw GatewayException.BadRequest("invalid_content_type", "This endpoint takes a multipart/form-data body (the audio file and its fields).");

    public override RequestFacts ReadForm(MultipartForm form)
    {
        var model = form.Field("model") is { Length: > 0 } named ? AudioFields.Model(named)
            : throw GatewayException.BadRequest("missing_model", "The form has no 'model'. Name the model to call, for example \"whisper-1\".", "model");
        if (form.File("file") is not { Content.Length: > 0 } file)
            throw GatewayException.BadRequest("missing_field", "The form needs 'file': the audio to transcribe.", "file");
        if (file.Content.Length > MaxFileBytes)
            throw new GatewayException(413, "file_too_large", $"The audio file is {file.Content.Length} bytes; the provider takes at most {MaxFileBytes}.", "file");
        var format = form.Field("response_format") is { Length: > 0 } f ? f : "json";
        var stream = form.Field("stream") switch
        {
            null or "" or "false" => false,
            "true" => true,
            _ => throw GatewayException.BadRequest("invalid_value", "'stream' must be true or false.", "stream"),
        };
        var (ms, exact) = AudioDuration.OfFile(file.Content);
        var boundMs = AudioDuration.UpperBoundMilliseconds(file.Content);
        var prompt = form.Field("prompt") ?? "";
        var promptTokens = Encoding.UTF8.GetByteCount(prompt);
        var audioTokens = (boundMs * AudioTokensPerSecondBound + 999) / 1000;
        var outputTokens = (boundMs * OutputTokensPerSecondBound + 999) / 1000 + 16;
        var bound = new TokenUsage
        {
            AudioMilliseconds = boundMs,
            UncachedInput = audioTokens + promptTokens,
            AudioInput = audioTokens,
            Output = outputTokens,
        };
        var audio = new AudioRequest(format) { FileMilliseconds = ms, FileDurationExact = exact, PromptTokens = (promptTokens + 3) / 4 };
        return new RequestFacts(model, stream, null, true, UnitBound: bound, Audio: audio);
    }

    public override UsageMeter CreateMeter(RequestFacts facts) => new TranscriptionMeter(facts.Audio!, null);

    public override UsageMeter CreateMeter(RequestFacts facts, ModelRoute served) => new TranscriptionMeter(facts.Audio!, served.Price);

    public override void CollectPromptText(JsonElement root, StringBuilder text)
    {
    }
}

/// <summary>
/// A transcript: JSON with a <c>usage</c> of type <c>duration</c> (seconds) or <c>tokens</c>; plain text (text, srt,
/// vtt); or SSE <c>transcript.text.delta</c> events ending in <c>transcript.text.done</c> with the usage.
/// </summary>
internal sealed class TranscriptionMeter(AudioRequest request, Core.Pricing.ModelPrice? price) : AudioEventMeter
{
    private static readonly TextFields DeltaText = new("delta");

    public override void OnJson(ReadOnlyMemory<byte> body)
    {
        if (body.Length == 0 || body.Span[0] != (byte)'{')
        {
            // text, srt or vtt: the transcript itself, no usage.
            AppendGenerated(Encoding.UTF8.GetString(body.Span));
            return;
        }
        using var doc = JsonDocument.Parse(body);
        Read(doc.RootElement);
    }

    protected override void OnTypedEvent(JsonElement type, JsonElement root, ReadOnlySpan<byte> data)
    {
        if (type.ValueEquals("transcript.text.delta"u8)) AppendStrings(data, DeltaText);
        else if (type.ValueEquals("transcript.text.done"u8))
        {
            IsTerminal = true;
            Read(root);
        }
    }

    private void Read(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object) return;
        if (root.TryGetProperty("usage", out var usage) && usage.ValueKind == JsonValueKind.Object && usage.TryGetProperty("type", out var type))
        {
            if (type.ValueEquals("duration"u8) && usage.TryGetProperty("seconds", out var seconds) && seconds.TryGetDecimal(out var s) && s >= 0)
            {
                Usage = new TokenUsage { AudioMilliseconds = (long)Math.Ceiling(s * 1000) };
                return;
            }
            if (type.ValueEquals("tokens"u8))
            {
                var input = Int(usage, "input_tokens");
                Usage = new TokenUsage
                {
                    UncachedInput = input,
                    AudioInput = Math.Min(Int(Child(usage, "input_token_details"), "audio_tokens"), input),
                    Output = Int(usage, "output_tokens"),
                };
                return;
            }
        }
        // verbose_json says how long the audio was, which is what per-second models are billed by.
        if (price?.PerSecond is not null && root.TryGetProperty("duration", out var duration) && duration.ValueKind == JsonValueKind.Number && duration.TryGetDecimal(out var d) && d >= 0)
        {
            Usage = new TokenUsage { AudioMilliseconds = (long)Math.Ceiling(d * 1000) };
            return;
        }
        if (root.TryGetProperty("text", out var text) && text.ValueKind == JsonValueKind.String) AppendGenerated(JsonText.SafeString(text));
    }

    /// <summary>No usage: the file's seconds for a model priced by them; else its audio tokens (1,000 a minute, OpenAI's estimate) and the transcript's tokens.</summary>
    public override TokenUsage CompleteEstimate(TokenUsage textEstimate)
    {
        if (price?.PerSecond is not null || price is { Input: null, InputAudio: null })
            return new TokenUsage { AudioMilliseconds = request.FileMilliseconds };
        var audio = (request.FileMilliseconds * 1000 / 60 + 999) / 1000;
        return new TokenUsage { UncachedInput = audio + request.PromptTokens, AudioInput = audio, Output = textEstimate.Output };
    }
}
