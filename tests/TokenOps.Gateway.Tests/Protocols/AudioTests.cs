using System.ClientModel;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using OpenAI.Audio;
using TokenOps.Gateway.Configuration;
using TokenOps.Core.Ledger;
using TokenOps.Core.Metering;
using TokenOps.Gateway.Pipeline;
using TokenOps.Gateway.Tests.Infrastructure;

namespace TokenOps.Gateway.Tests.Protocols;

/// <summary>
/// /v1/audio/transcriptions, /translations and /speech through the one pipeline, with the official OpenAI SDK's
/// AudioClient where it can: whisper-1 per second, tts-1 per character, the gpt-4o audio models in tokens, from the
/// provider's usage when it sends one and from the audio's length (flagged estimated) when it does not. Prices from the
/// bundled snapshot: whisper-1 0.0001 per second, tts-1 1.5e-5 per character.
/// </summary>
public sealed class AudioTests(SharedGateway shared) : IClassFixture<SharedGateway>
{
    private AudioClient Audio(string model, string key) => new(model, new ApiKeyCredential(key), shared.OpenAIOptions());

    /// <summary>A 2.5-second WAV recording (silence: the simulator reads only its header).</summary>
    private static readonly byte[] Recording = AudioDuration.SilentWav(2500);

    [Fact]
    public async Task Whisper_Transcription_IsPricedPerSecond_FromTheUsage_ViaTheSdk()
    {
        var gateway = shared.Gateway;
        var key = gateway.CreateKey("aiko", "voice");
        AudioTranscription transcript = await Audio("whisper-1", key).TranscribeAudioAsync(new MemoryStream(Recording), "call.wav");
        Assert.StartsWith("the ledger", transcript.Text);
        var row = (await gateway.LedgerAsync()).Single(r => r.Person == "aiko");
        Assert.Equal(("openai.transcriptions", "whisper-1", LedgerOutcome.Ok), (row.Route, row.ServedModel, row.Outcome));
        // The simulator bills whole seconds (2.5 s -> 3 s), and says so in usage.seconds: 3 x 0.0001 USD.
        Assert.Equal(3000, row.Usage.AudioMilliseconds);
        Assert.Equal(0.0003m, row.Cost.AudioSeconds);
        Assert.Equal(300_000L, row.CostNanos);
        Assert.False(row.Estimated);
        // Other tests of the class transcribe the same recording: each of their bill entries is this price too.
        var bill = gateway.Bill.Entries.First(e => e.Protocol == "openai.transcriptions" && e.Model == "whisper-1");
        Assert.Equal(gateway.BilledNanos([bill]), row.CostNanos);
    }

    [Fact]
    public async Task Whisper_TextFormat_HasNoUsage_SoTheFileLengthIsBilled_AndFlaggedEstimated()
    {
        var gateway = shared.Gateway;
        var key = gateway.CreateKey("bert", "voice");
        AudioTranscription transcript = await Audio("whisper-1", key).TranscribeAudioAsync(new MemoryStream(Recording), "call.wav",
            new AudioTranscriptionOptions { ResponseFormat = AudioTranscriptionFormat.Srt });
        Assert.Contains("-->", transcript.Text);
        var row = (await gateway.LedgerAsync()).Single(r => r.Person == "bert");
        Assert.True(row.Estimated);
        Assert.Equal(2500, row.Usage.AudioMilliseconds); // the WAV header's length
        Assert.Equal(250_000L, row.CostNanos);
    }

    [Fact]
    public async Task Gpt4oTranscribe_IsPricedInTokens_FromItsUsage_ViaTheSdk()
    {
        var gateway = shared.Gateway;
        var key = gateway.CreateKey("caro", "voice");
        AudioTranscription transcript = await Audio("gpt-4o-transcribe", key).TranscribeAudioAsync(new MemoryStream(Recording), "call.wav",
            new AudioTranscriptionOptions { Prompt = "A call about the ledger." });
        Assert.False(string.IsNullOrEmpty(transcript.Text));
        var row = (await gateway.LedgerAsync()).Single(r => r.Person == "caro");
        var bill = Assert.Single(gateway.Bill.Entries, e => e.Protocol == "openai.transcriptions" && e.Model == "gpt-4o-transcribe");
        Assert.Equal(bill.Usage with { Tier = row.Usage.Tier }, row.Usage);
        Assert.True(row.Usage.AudioInput > 0);
        Assert.Equal(gateway.BilledNanos([bill]), row.CostNanos);
        Assert.False(row.Estimated);
    }

    [Fact]
    public async Task StreamedTranscription_IsMeteredFromItsDoneEvent_ViaTheSdk()
    {
        var gateway = shared.Gateway;
        var key = gateway.CreateKey("dina", "voice");
        var text = new StringBuilder();
        await foreach (var update in await Audio("gpt-4o-mini-transcribe", key).TranscribeAudioStreamingAsync(new MemoryStream(Recording), "call.wav"))
            if (update is StreamingAudioTranscriptionTextDeltaUpdate delta) text.Append(delta.Delta);
        Assert.StartsWith("the ledger", text.ToString());
        var row = (await gateway.LedgerAsync()).Single(r => r.Person == "dina");
        var bill = Assert.Single(gateway.Bill.Entries, e => e.Protocol == "openai.transcriptions" && e.Model == "gpt-4o-mini-transcribe");
        Assert.True(bill.Streamed);
        Assert.Equal(gateway.BilledNanos([bill]), row.CostNanos);
        Assert.Equal(bill.Usage.AudioInput, row.Usage.AudioInput);
        Assert.False(row.Estimated);
    }

    [Fact]
    public async Task Translation_HasNoUsage_SoTheRecordingsLengthIsBilled()
    {
        var gateway = shared.Gateway;
        var key = gateway.CreateKey("emil", "voice");
        AudioTranslation translation = await Audio("whisper-1", key).TranslateAudioAsync(new MemoryStream(Recording), "anruf.wav");
        Assert.False(string.IsNullOrEmpty(translation.Text));
        var row = (await gateway.LedgerAsync()).Single(r => r.Person == "emil");
        Assert.Equal(("openai.translations", 2500L, 250_000L), (row.Route, row.Usage.AudioMilliseconds, row.CostNanos));
        Assert.True(row.Estimated);
    }

    [Fact]
    public async Task Tts1_IsPricedPerCharacter_ViaTheSdk()
    {
        var gateway = shared.Gateway;
        var key = gateway.CreateKey("fynn", "voice");
        const string text = "Your team has spent 42 dollars this week. Ünïcödé counts by character.";
        BinaryData speech = await Audio("tts-1", key).GenerateSpeechAsync(text, GeneratedSpeechVoice.Alloy);
        Assert.True(speech.ToMemory().Length > 1000);
        var row = (await gateway.LedgerAsync()).Single(r => r.Person == "fynn");
        Assert.Equal(("openai.speech", "tts-1", (long)text.Length), (row.Route, row.ServedModel, row.Usage.Characters));
        Assert.Equal(text.Length * 1.5e-5m, row.Cost.Characters);
        Assert.False(row.Estimated);
        var bill = Assert.Single(gateway.Bill.Entries, e => e.Protocol == "openai.speech" && e.Model == "tts-1" && e.Usage.Characters == text.Length);
        Assert.Equal(gateway.BilledNanos([bill]), row.CostNanos);
    }

    [Fact]
    public async Task MiniTts_Sse_IsPricedFromTheDoneEventsUsage()
    {
        var gateway = shared.Gateway;
        using var http = gateway.Client(gateway.CreateKey("gert", "voice"));
        using var response = await http.PostAsync("/v1/audio/speech", new StringContent(
            """{"model":"gpt-4o-mini-tts","input":"Budgets are soft caps, not walls.","voice":"alloy","stream_format":"sse","response_format":"pcm"}""",
            Encoding.UTF8, "application/json"));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        Assert.Contains("speech.audio.done", body);
        var row = (await gateway.LedgerAsync()).Single(r => r.Person == "gert");
        var bill = Assert.Single(gateway.Bill.Entries, e => e.Protocol == "openai.speech" && e.Model == "gpt-4o-mini-tts" && e.Streamed);
        Assert.Equal((bill.Usage.UncachedInput, bill.Usage.Output, bill.Usage.AudioOutput), (row.Usage.UncachedInput, row.Usage.Output, row.Usage.AudioOutput));
        Assert.Equal(gateway.BilledNanos([bill]), row.CostNanos);
        Assert.False(row.Estimated);
    }

    [Fact]
    public async Task MiniTts_RawAudio_HasNoUsage_SoItIsEstimatedFromTheAudiosLength()
    {
        var gateway = shared.Gateway;
        var key = gateway.CreateKey("hana", "voice");
        const string text = "Thirty characters of speech!!"; // 29 characters: 29 / 15 s = 1,934 ms at speed 1
        BinaryData speech = await Audio("gpt-4o-mini-tts", key).GenerateSpeechAsync(text, GeneratedSpeechVoice.Nova,
            new SpeechGenerationOptions { ResponseFormat = GeneratedSpeechFormat.Wav });
        Assert.Equal(1934, AudioDuration.WavMilliseconds(speech.ToArray()));
        var row = (await gateway.LedgerAsync()).Single(r => r.Person == "hana");
        Assert.True(row.Estimated);
        Assert.True(row.Usage.UncachedInput > 0);
        // The catalog prices gpt-4o-mini-tts output at 0.00025 per second: the WAV's exact length is billed by it.
        Assert.Equal(1934, row.Usage.AudioMilliseconds);
        Assert.Equal(1934 * 0.00025m / 1000, row.Cost.AudioSeconds);
    }

    [Fact]
    public async Task ARoutedAlias_IsRewrittenInTheForm_AndTheServedModelBilled()
    {
        await using var gateway = await GatewayFixture.StartAsync(o => o.Models["speech-to-text"] = new() { Target = "whisper-1" });
        using var http = gateway.Client(gateway.CreateKey("ivo", "voice"));
        using var response = await http.PostAsync("/v1/audio/transcriptions", Form("speech-to-text", Recording));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        var bill = Assert.Single(gateway.Bill.Entries);
        Assert.Equal("whisper-1", bill.Model); // the simulator saw the served model in the rebuilt form
        var row = Assert.Single(await gateway.LedgerAsync(1));
        Assert.Equal(("speech-to-text", "whisper-1", 300_000L), (row.RequestedModel, row.ServedModel, row.CostNanos));
    }

    [Fact]
    public async Task TheHold_IsTheFilesLongestPossibleLength_SoALongUploadIsRefusedByASmallBudget()
    {
        await using var gateway = await GatewayFixture.StartAsync(o => o.Budgets.People["jo"] = new BudgetOptions { LimitUsd = 0.005m, Period = "daily", Mode = "hard" });
        using var http = gateway.Client(gateway.CreateKey("jo", "voice"));
        // 100 KB of mp3 could hold 100 s at 8 kbps: 0.01 USD, more than the budget.
        var mp3 = new byte[100_000];
        "ID3"u8.CopyTo(mp3);
        using var refused = await http.PostAsync("/v1/audio/transcriptions", Form("whisper-1", mp3, "long.mp3"));
        Assert.Equal(HttpStatusCode.PaymentRequired, refused.StatusCode);
        Assert.Contains("person:jo", await refused.Content.ReadAsStringAsync());
        // A WAV says its length: 2.5 s hold 0.00025 USD, which fits.
        using var fits = await http.PostAsync("/v1/audio/transcriptions", Form("whisper-1", Recording));
        Assert.Equal(HttpStatusCode.OK, fits.StatusCode);
        if (fits.Headers.TryGetValues(AdmitStage.HeldHeader, out var held))
            Assert.Equal(0.00025m, decimal.Parse(held.Single(), System.Globalization.CultureInfo.InvariantCulture));
        Assert.Single(gateway.Bill.Entries);
        Assert.Equal(2, (await gateway.LedgerAsync(2)).Count);
    }

    public static TheoryData<string, string> BadForms() => new()
    {
        { "json", "invalid_content_type" },
        { "no-file", "missing_field" },
        { "no-model", "missing_model" },
        { "auto", "not_routable" },
        { "twice", "duplicate_field" },
        { "broken", "invalid_multipart" },
    };

    [Theory]
    [MemberData(nameof(BadForms))]
    public async Task BadForms_GetAnOpenAIError_AndOneRefusedRow(string kind, string code)
    {
        var gateway = shared.Gateway;
        var person = "bad-" + kind;
        using var http = gateway.Client(gateway.CreateKey(person, "voice"));
        HttpContent content = kind switch
        {
            "json" => new StringContent("""{"model":"whisper-1","file":"x"}""", Encoding.UTF8, "application/json"),
            "no-file" => WithoutFile("whisper-1"),
            "no-model" => Form(null, Recording),
            "auto" => Form("auto", Recording),
            "twice" => Twice(),
            _ => Broken(),
        };
        using var response = await http.PostAsync("/v1/audio/transcriptions", content);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(code, doc.RootElement.GetProperty("error").GetProperty("code").GetString());
        var row = (await gateway.LedgerAsync()).Single(r => r.Person == person);
        Assert.Equal((LedgerOutcome.Refused, 0L), (row.Outcome, row.CostNanos));
    }

    [Fact]
    public async Task SpeechOverTheInputLimit_IsRefusedBeforeTheProvider()
    {
        var gateway = shared.Gateway;
        using var http = gateway.Client(gateway.CreateKey("kira", "voice"));
        var json = JsonSerializer.Serialize(new { model = "tts-1", voice = "alloy", input = new string('a', 4097) });
        using var response = await http.PostAsync("/v1/audio/speech", new StringContent(json, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("4096", await response.Content.ReadAsStringAsync());
        Assert.DoesNotContain(gateway.Bill.Entries, e => e.Usage.Characters == 4097);
    }

    internal static MultipartFormDataContent Form(string? model, byte[] audio, string fileName = "call.wav")
    {
        var form = new MultipartFormDataContent();
        var file = new ByteArrayContent(audio);
        file.Headers.ContentType = new MediaTypeHeaderValue(fileName.EndsWith(".wav") ? "audio/wav" : "audio/mpeg");
        form.Add(file, "file", fileName);
        if (model is not null) form.Add(new StringContent(model), "model");
        return form;
    }

    private static MultipartFormDataContent WithoutFile(string model)
    {
        var form = new MultipartFormDataContent { { new StringContent(model), "model" } };
        return form;
    }

    private static MultipartFormDataContent Twice()
    {
        var form = Form("whisper-1", Recording);
        form.Add(new StringContent("gpt-4o-transcribe"), "model");
        return form;
    }

    private static ByteArrayContent Broken()
    {
        var content = new ByteArrayContent("--b\r\nContent-Disposition: form-data; name=\"model\"\r\n\r\nwhisper-1"u8.ToArray());
        content.Headers.TryAddWithoutValidation("Content-Type", "multipart/form-data; boundary=b");
        return content;
    }
}
