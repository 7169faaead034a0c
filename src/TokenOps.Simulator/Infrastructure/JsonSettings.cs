using System.Buffers;
using System.IO.Pipelines;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace TokenOps.Simulator.Infrastructure;

internal static class JsonSettings
{
    public static readonly JsonWriterOptions WriterOptions = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static readonly JsonDocumentOptions DocumentOptions = new()
    {
        MaxDepth = 256,
    };
}

/// <summary>A request body copied once into a pooled array (JsonDocument parses it in place).</summary>
internal sealed class RequestBody : IDisposable
{
    private byte[] _buffer;

    private RequestBody(byte[] buffer, int length)
    {
        _buffer = buffer;
        Length = length;
    }

    public int Length { get; }

    public ReadOnlyMemory<byte> Memory => _buffer.AsMemory(0, Length);

    public static async Task<RequestBody> ReadAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        var reader = request.BodyReader;
        while (true)
        {
            var result = await reader.ReadAsync(cancellationToken);
            var buffer = result.Buffer;
            if (result.IsCompleted || result.IsCanceled)
            {
                var length = checked((int)buffer.Length);
                var array = ArrayPool<byte>.Shared.Rent(Math.Max(length, 1));
                buffer.CopyTo(array);
                reader.AdvanceTo(buffer.End);
                return new RequestBody(array, length);
            }

            reader.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    public void Dispose()
    {
        var buffer = _buffer;
        _buffer = [];
        if (buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}

internal static class JsonElementExtensions
{
    public static JsonElement? Prop(this JsonElement obj, ReadOnlySpan<byte> name) =>
        obj.ValueKind == JsonValueKind.Object && obj.TryGetProperty(name, out var value) ? value : null;

    /// <summary>The string value of a property, or null when missing, null or not a string.</summary>
    public static string? StringProp(this JsonElement obj, ReadOnlySpan<byte> name) =>
        obj.Prop(name) is { ValueKind: JsonValueKind.String } v ? v.GetString() : null;

    public static bool TrueProp(this JsonElement obj, ReadOnlySpan<byte> name) =>
        obj.Prop(name) is { ValueKind: JsonValueKind.True };

    public static bool IsPresent(this JsonElement? element) =>
        element is { ValueKind: not JsonValueKind.Null and not JsonValueKind.Undefined };
}

internal static class PipeExtensions
{
    public static async Task WriteBodyAsync(this HttpResponse response, ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        response.ContentLength = body.Length;
        await response.BodyWriter.WriteAsync(body, cancellationToken);
    }

}
