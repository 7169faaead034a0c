using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using TokenOps.Core.Metering;
using TokenOps.Simulator.Generation;
using TokenOps.Simulator.Infrastructure;

namespace TokenOps.Simulator.Protocols.OpenAI;

/// <summary>
/// <c>POST /v1/audio/transcriptions</c> and <c>/v1/audio/translations</c>: a multipart form with the audio <c>file</c> and
/// the <c>model</c>. The audio lasts what its WAV header says (other files: their size at 128 kbps); the transcript
/// is 2.5 words a second. whisper-1 is billed per second (rounded up) and reports <c>usage: {type: "duration"}</c>;
/// the gpt-4o transcribe models are billed in tokens (1,000 audio tokens a minute, OpenAI's published estimate, plus
/// the prompt's text tokens; one output token per word) and report <c>usage: {type: "tokens"}</c>. <c>response_format</c>
/// text, srt and vtt answer in plain text, with no usage; <c>stream=true</c> (gpt-4o models) answers in
/// <c>transcript.text.delta</c> events and a <c>transcript.text.done</c> event with the usage. Translations are
/// whisper-1 only and answer <c>{"text"}</c> without usage.
/// </summary>
internal sealed class AudioTranscriptionsEndpoint(SimHost host, bool translate)
{
    public const double WordsPerSecond = 2.5;
    public const double AudioTokensPerSecond = 1000 / 60.0;
    private static readonly string[] Words = ["the", "ledger", "shows", "every", "token", "we", "spent", "on", "this", "call", "and", "who", "asked", "for", "it"];

    public async Task HandleAsync(HttpContext context)
    {
        if (!await OpenAIRequest.AuthenticateAsync(context, host.Options))
        {
            return;
        }

        if (!context.Request.HasFormContentType || !context.Request.ContentType!.StartsWith("multipart/form-data", StringComparison.OrdinalIgnoreCase))
        {
            await ProtocolErrors.OpenAIAsync(context, 400, "Invalid Content-Type header (expected multipart/form-data).");
            return;
        }

        IFormCollection form;
        try
        {
            form = await context.Request.ReadFormAsync(context.RequestAborted);
        }
        catch (InvalidDataException ex)
        {
            await ProtocolErrors.OpenAIAsync(context, 400, $"Could not parse multipart form: {ex.Message}");
            return;
        }

        if (form["model"].ToString() is not { Length: > 0 } model)
        {
            await ProtocolErrors.OpenAIAsync(context, 400, "you must provide a model parameter", param: "model");
            return;
        }

        if (form.Files.GetFile("file") is not { Length: > 0 } file)
        {
            await ProtocolErrors.OpenAIAsync(context, 400, "Missing required parameter: 'file'.", param: "file", code: "missing_required_parameter");
            return;
        }

        var whisper = model.StartsWith("whisper", StringComparison.Ordinal);
        if (translate && !whisper)
        {
            await ProtocolErrors.OpenAIAsync(context, 400, $"Model {model} is not supported for translations; use whisper-1.", param: "model", code: "unsupported_value");
            return;
        }

        var format = form["response_format"].ToString() is { Length: > 0 } f ? f : "json";
        var allowed = whisper ? new[] { "json", "text", "srt", "verbose_json", "vtt" } : ["json", "text"];
        if (Array.IndexOf(allowed, format) < 0)
        {
            await ProtocolErrors.OpenAIAsync(context, 400, $"response_format '{format}' is not compatible with model '{model}'.", param: "response_format", code: "unsupported_value");
            return;
        }

        var stream = form["stream"].ToString() == "true" && !whisper && !translate;
        byte[] audio;
        using (var copy = new MemoryStream())
        {
            await file.CopyToAsync(copy, context.RequestAborted);
            audio = copy.ToArray();
        }

        var milliseconds = AudioDuration.OfFile(audio).Milliseconds;
        var seconds = (long)Math.Ceiling(milliseconds / 1000.0);
        var words = Math.Max(1, (int)Math.Ceiling(milliseconds / 1000.0 * WordsPerSecond));
        var transcript = Transcript(words);
        var promptTokens = (Encoding.UTF8.GetByteCount(form["prompt"].ToString()) + 3) / 4;
        var audioTokens = (long)Math.Ceiling(milliseconds / 1000.0 * AudioTokensPerSecond);
        var plan = whisper
            ? new UsagePlan(0, 0, 0, 0, 0, 0, false, 0, AudioMilliseconds: seconds * 1000)
            : new UsagePlan(promptTokens + audioTokens, 0, 0, 0, words, 0, false, 0, AudioInput: audioTokens);
        if (await OpenAIRequest.FaultAsync(context, host) is not { } fault)
        {
            return;
        }

        var call = host.NewCall(context, translate ? SimProtocols.OpenAITranslations : SimProtocols.OpenAITranscriptions, host.NewId("tr_"), model, plan, ServiceTier.Standard, fault, stream);
        context.Response.Headers["x-request-id"] = call.Id;
        await call.RunAsync(async _ =>
        {
            await call.DelayAsync(call.DelayBeforeFirstByteMs);
            if (stream)
            {
                using var events = new SseWriter(context);
                foreach (var word in transcript.Split(' '))
                {
                    var delta = events.Begin(default);
                    delta.WriteStartObject();
                    delta.WriteString("type"u8, "transcript.text.delta"u8);
                    delta.WriteString("delta"u8, word + " ");
                    delta.WriteEndObject();
                    events.End();
                    await events.PaceAsync(call.ChunkDelayMs);
                }

                var done = events.Begin(default);
                done.WriteStartObject();
                done.WriteString("type"u8, "transcript.text.done"u8);
                done.WriteString("text"u8, transcript);
                WriteUsage(done, plan, whisper, seconds, promptTokens, audioTokens);
                done.WriteEndObject();
                events.End();
                call.Record(completed: true);
                await events.FlushAsync();
                return;
            }

            if (format is "text" or "srt" or "vtt")
            {
                context.Response.ContentType = "text/plain; charset=utf-8";
                var body = format switch
                {
                    "srt" => $"1\n00:00:00,000 --> {Clock(milliseconds, ',')}\n{transcript}\n\n",
                    "vtt" => $"WEBVTT\n\n00:00:00.000 --> {Clock(milliseconds, '.')}\n{transcript}\n\n",
                    _ => transcript + "\n",
                };
                call.Record(completed: true);
                await context.Response.WriteBodyAsync(Encoding.UTF8.GetBytes(body), call.Aborted);
                return;
            }

            using var buffer = new PooledBufferWriter(512 + transcript.Length);
            using (var json = new Utf8JsonWriter(buffer, JsonSettings.WriterOptions))
            {
                json.WriteStartObject();
                if (format == "verbose_json")
                {
                    json.WriteString("task"u8, translate ? "translate"u8 : "transcribe"u8);
                    json.WriteString("language"u8, "english"u8);
                    json.WriteNumber("duration"u8, milliseconds / 1000.0);
                }

                json.WriteString("text"u8, transcript);
                if (!translate) WriteUsage(json, plan, whisper, seconds, promptTokens, audioTokens);
                json.WriteEndObject();
            }

            await NonStreamed.WriteAsync(call, buffer);
        });
    }

    private static void WriteUsage(Utf8JsonWriter json, UsagePlan plan, bool whisper, long seconds, long promptTokens, long audioTokens)
    {
        json.WriteStartObject("usage"u8);
        if (whisper)
        {
            json.WriteString("type"u8, "duration"u8);
            json.WriteNumber("seconds"u8, seconds);
        }
        else
        {
            json.WriteString("type"u8, "tokens"u8);
            json.WriteNumber("input_tokens"u8, plan.InputTotal);
            json.WriteStartObject("input_token_details"u8);
            json.WriteNumber("text_tokens"u8, promptTokens);
            json.WriteNumber("audio_tokens"u8, audioTokens);
            json.WriteEndObject();
            json.WriteNumber("output_tokens"u8, plan.Output);
            json.WriteNumber("total_tokens"u8, plan.InputTotal + plan.Output);
        }

        json.WriteEndObject();
    }

    private static string Transcript(int words)
    {
        var text = new StringBuilder();
        for (var i = 0; i < words; i++)
        {
            if (i > 0) text.Append(' ');
            text.Append(Words[i % Words.Length]);
        }

        return text.ToString();
    }

    private static string Clock(long ms, char separator) =>
        $"{ms / 3_600_000:00}:{ms / 60_000 % 60:00}:{ms / 1000 % 60:00}{separator}{ms % 1000:000}";
}
