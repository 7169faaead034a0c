using System.Buffers;
using System.IO.Pipelines;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace TokenOps.Simulator.Infrastructure;

/// <summary>
/// Writes server-sent events straight into the response pipe: <c>[event: name\n]data: {json}\n\n</c>.
/// One <see cref="Utf8JsonWriter"/> is reused for every event. Without an inter-chunk delay the pipe is flushed
/// only every <see cref="FlushEvery"/> events (and explicitly by the caller), which keeps the hot path cheap.
/// Made over an <see cref="SseRecording"/> instead, it writes nowhere: each event is kept with the time it would have
/// gone out, for a stream that outlives its client (a streamed background response, resumed later).
/// </summary>
internal sealed class SseWriter : IDisposable
{
    private const int FlushEvery = 32;
    private readonly IBufferWriter<byte> _pipe;
    private readonly PipeWriter? _http;
    private readonly SseRecording? _recording;
    private readonly Utf8JsonWriter _json;
    private readonly CancellationToken _aborted;
    private int _unflushed;

    public SseWriter(HttpContext context)
    {
        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "text/event-stream; charset=utf-8";
        response.Headers.CacheControl = "no-cache";
        _pipe = _http = response.BodyWriter;
        _aborted = context.RequestAborted;
        _json = new Utf8JsonWriter(_pipe, JsonSettings.WriterOptions);
    }

    public SseWriter(SseRecording recording)
    {
        _recording = recording;
        _pipe = recording.Pending;
        _json = new Utf8JsonWriter(_pipe, JsonSettings.WriterOptions);
    }

    /// <summary>Starts an event; write exactly one JSON value to the returned writer, then call <see cref="End"/>.</summary>
    public Utf8JsonWriter Begin(ReadOnlySpan<byte> eventName)
    {
        if (!eventName.IsEmpty)
        {
            _pipe.Write("event: "u8);
            _pipe.Write(eventName);
            _pipe.Write("\n"u8);
        }

        _pipe.Write("data: "u8);
        _json.Reset(_pipe);
        return _json;
    }

    public void End()
    {
        _json.Flush();
        _pipe.Write("\n\n"u8);
        _unflushed++;
        _recording?.EndEvent();
    }

    /// <summary>Writes bytes as they are (used for <c>data: [DONE]</c> and malformed frames).</summary>
    public void WriteRaw(ReadOnlySpan<byte> bytes)
    {
        _pipe.Write(bytes);
        _unflushed++;
        _recording?.EndEvent();
    }

    public async ValueTask FlushAsync()
    {
        _unflushed = 0;
        if (_http is null) return;
        var result = await _http.FlushAsync(_aborted);
        if (result.IsCanceled || result.IsCompleted)
        {
            throw new OperationCanceledException("The client went away.");
        }
    }

    /// <summary>Called after each content event: flush and wait when a delay is set, else flush now and then.</summary>
    public async ValueTask PaceAsync(int delayMs)
    {
        if (_recording is not null)
        {
            _recording.Wait(delayMs);
        }
        else if (delayMs > 0)
        {
            await FlushAsync();
            await Task.Delay(delayMs, _aborted);
        }
        else if (_unflushed >= FlushEvery)
        {
            await FlushAsync();
        }
    }

    public void Dispose() => _json.Dispose();
}
