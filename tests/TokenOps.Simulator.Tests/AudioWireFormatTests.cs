using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using TokenOps.Core.Metering;

namespace TokenOps.Simulator.Tests;

/// <summary>The audio endpoints' wire shapes: raw audio of the asked format, usage of type duration or tokens, plain-text transcripts.</summary>
public sealed class AudioWireFormatTests(SimulatorFixture fixture) : IClassFixture<SimulatorFixture>
{
    private SimulatorServer Server => fixture.Server;

    [Fact]
    public async Task Speech_IsTheAudioItself_OfTheAskedFormat_AndTts1IsBilledPerCharacter()
    {
        var response = await Server.Http.SendAsync(Server.Post("/v1/audio/speech", """{"model":"tts-1","input":"Thirty characters of speech!!","voice":"alloy","response_format":"wav","speed":2}"""));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("audio/wav", response.Content.Headers.ContentType!.MediaType);
        var audio = await response.Content.ReadAsByteArrayAsync();
        // 29 characters at 15 a second, twice as fast: 967 ms.
        Assert.Equal(967, AudioDuration.WavMilliseconds(audio));
        var entry = Server.Bill.Find(response.Headers.GetValues("x-request-id").Single())!;
        Assert.Equal(("openai.speech", 29L, 0L), (entry.Protocol, entry.Usage.Characters, entry.Usage.Total));
    }

    [Fact]
    public async Task Speech_SseIsRefusedForTts1()
    {
        var response = await Server.Http.SendAsync(Server.Post("/v1/audio/speech", """{"model":"tts-1","input":"hi","voice":"alloy","stream_format":"sse"}"""));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("stream_format", doc.RootElement.GetProperty("error").GetProperty("param").GetString());
    }

    [Theory]
    [InlineData("whisper-1", "json", "duration")]
    [InlineData("gpt-4o-transcribe", "json", "tokens")]
    public async Task Transcription_ReportsUsageOfItsModelsKind(string model, string format, string usageType)
    {
        var response = await Server.Http.SendAsync(Upload("/v1/audio/transcriptions", model, format, AudioDuration.SilentWav(4000)));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var usage = doc.RootElement.GetProperty("usage");
        Assert.Equal(usageType, usage.GetProperty("type").GetString());
        // Four seconds: 10 words; whisper bills 4 s, gpt-4o-transcribe 67 audio tokens (1,000 a minute).
        Assert.Equal(10, doc.RootElement.GetProperty("text").GetString()!.Split(' ').Length);
        if (usageType == "duration") Assert.Equal(4, usage.GetProperty("seconds").GetInt32());
        else Assert.Equal(67, usage.GetProperty("input_token_details").GetProperty("audio_tokens").GetInt32());
    }

    [Fact]
    public async Task Transcription_AsSrt_IsPlainTextWithoutUsage_ButBilled()
    {
        var response = await Server.Http.SendAsync(Upload("/v1/audio/transcriptions", "whisper-1", "srt", AudioDuration.SilentWav(1500)));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain", response.Content.Headers.ContentType!.MediaType);
        Assert.Contains("00:00:00,000 --> 00:00:01,500", await response.Content.ReadAsStringAsync());
        Assert.Equal(2000, Server.Bill.Find(response.Headers.GetValues("x-request-id").Single())!.Usage.AudioMilliseconds);
    }

    [Fact]
    public async Task Translation_TakesOnlyWhisper()
    {
        var response = await Server.Http.SendAsync(Upload("/v1/audio/translations", "gpt-4o-transcribe", "json", AudioDuration.SilentWav(1000)));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    private HttpRequestMessage Upload(string path, string model, string format, byte[] audio)
    {
        var request = Server.Post(path, "{}");
        var form = new MultipartFormDataContent();
        var file = new ByteArrayContent(audio);
        file.Headers.ContentType = new MediaTypeHeaderValue("audio/wav");
        form.Add(file, "file", "a.wav");
        form.Add(new StringContent(model), "model");
        form.Add(new StringContent(format), "response_format");
        request.Content = form;
        return request;
    }
}
