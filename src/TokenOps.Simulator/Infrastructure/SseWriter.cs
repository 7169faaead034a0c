using System.Buffers;
using System.IO.Pipelines;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace TokenOps.Simulator.Infrastructure;

/// <summary>
/// Writes server-sent events straight into the response pipe: <c>[event: name\n]data: {json}\n\n</c>.
/// One <see cref="Utf8JsonWriter"/> is reused for every event. Without an inter-chunk delay the pipe is flushed
/// only every <see cref="FlushEvery"/> events (and explicitly by the caller), which keeps the hot path cheap.
/// </summary>
internal sealed class SseWriter : IDisposable
{
    private const int FlushEvery = 32;
    private readonly PipeWriter _pipe;
    private readonly Utf8JsonWriter _json;
    private readonly CancellationToken _aborted;
    private int _unflushed;

    public SseWriter(HttpContext context)
    {
        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "text/event-stream; charset=utf-8";
        response.Headers.CacheControl = "no-cache";
        _pipe = response.BodyWriter;
        _aborted = context.RequestAborted;
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
    }

    /// <summary>Writes bytes as they are (used for <c>data: [DONE]</c> and malformed frames).</summary>
    public void WriteRaw(ReadOnlySpan<byte> bytes)
    {
        _pipe.Write(bytes);
        _unflushed++;
    }

    public async ValueTask FlushAsync()
    {
        _unflushed = 0;
        var result = await _pipe.FlushAsync(_aborted);
        if (result.IsCanceled || result.IsCompleted)
        {
            throw new OperationCanceledException("The client went away.");
        }
    }

    /// <summary>Called after each content event: flush and wait when a delay is set, else flush now and then.</summary>
    public async ValueTask PaceAsync(int delayMs)
    {
        if (delayMs > 0)
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
