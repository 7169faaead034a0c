using System.Buffers;
using System.Text.Json;
using TokenOps.Core.Ledger;
using TokenOps.Gateway.Protocols;

namespace TokenOps.Gateway.Pipeline;

/// <summary>Reads the body (bounded), checks it is a JSON object, and lets the route extract its facts.</summary>
public sealed class ReadRequestStage(long maxBodyBytes)
{
    public async Task RunAsync(ProxyContext context)
    {
        var request = context.Http.Request;
        if (request.ContentLength > maxBodyBytes) throw TooLarge();
        var body = request.ContentLength is { } length
            ? await ReadExactAsync(request.Body, length, context.Http.RequestAborted)
            : await ReadBoundedAsync(request.Body, maxBodyBytes, context.Http.RequestAborted);
        context.Body = body;
        try
        {
            using var doc = JsonDocument.Parse(body);
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw GatewayException.BadRequest("invalid_json", "The request body must be a JSON object.");
            context.Facts = context.Route.Read(doc.RootElement);
        }
        catch (JsonException ex)
        {
            throw GatewayException.BadRequest("invalid_json", $"The request body is not valid JSON: {ex.Message}");
        }
    }

    private GatewayException TooLarge() =>
        new(413, "request_too_large", $"The request body is larger than the gateway's limit of {maxBodyBytes} bytes (maxRequestBodyBytes).");

    /// <summary>The usual case (a Content-Length within the limit): one array of the right size, no growing and no copy.</summary>
    private static async Task<byte[]> ReadExactAsync(Stream body, long length, CancellationToken cancellationToken)
    {
        var buffer = new byte[length];
        var filled = 0;
        while (filled < buffer.Length)
        {
            var read = await ReadAsync(body, buffer.AsMemory(filled), cancellationToken);
            if (read == 0) break;
            filled += read;
        }
        // Kestrel ends the body at Content-Length; fewer bytes means the client hung up, which the pipeline reports.
        return filled == buffer.Length ? buffer : buffer[..filled];
    }

    private async Task<byte[]> ReadBoundedAsync(Stream body, long limit, CancellationToken cancellationToken)
    {
        var writer = new ArrayBufferWriter<byte>(4096);
        while (true)
        {
            var memory = writer.GetMemory(8192);
            var read = await ReadAsync(body, memory, cancellationToken);
            if (read == 0) break;
            writer.Advance(read);
            if (writer.WrittenCount > limit) throw TooLarge();
        }
        return writer.WrittenSpan.ToArray();
    }

    /// <summary>
    /// Kestrel throws when the body ends before its Content-Length (the client closed its side: recorded as a client
    /// abort, answered 400 in case it still listens) or arrives too slowly (408). A connection already gone is the
    /// pipeline's client abort.
    /// </summary>
    private static async ValueTask<int> ReadAsync(Stream body, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        try
        {
            return await body.ReadAsync(buffer, cancellationToken);
        }
        catch (BadHttpRequestException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw ex.StatusCode == StatusCodes.Status408RequestTimeout
                ? new GatewayException(408, "body_timeout", "The request body arrived too slowly and was not completed.")
                : new GatewayException(400, "incomplete_body", $"The request body ended before it was complete ({ex.Message}).") { Outcome = LedgerOutcome.ClientAborted };
        }
    }
}
