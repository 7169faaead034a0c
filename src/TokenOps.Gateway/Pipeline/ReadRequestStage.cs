using System.Buffers;
using System.Text.Unicode;
using System.Text.Json;
using TokenOps.Core.Ledger;
using TokenOps.Gateway.Protocols;

namespace TokenOps.Gateway.Pipeline;

/// <summary>Reads the body (bounded), checks it is a JSON object (or, for upload routes, a multipart form), and lets the route extract its facts.</summary>
public sealed class ReadRequestStage(long maxBodyBytes)
{
    public async Task RunAsync(ProxyContext context)
    {
        var request = context.Http.Request;
        var limit = context.Route.MaxBodyBytes(maxBodyBytes);
        if (request.ContentLength > limit) throw TooLarge(limit);
        var body = request.ContentLength is { } length
            ? await ReadExactAsync(request.Body, length, context.Http.RequestAborted)
            : await ReadBoundedAsync(request.Body, limit, context.Http.RequestAborted);
        context.Body = body;
        if (!context.Route.JsonBody)
        {
            // A form (an audio upload): its text fields are checked as JSON's are, its files are the provider's to read.
            context.Form = await MultipartForm.ReadAsync(request.ContentType, body);
            context.Facts = context.Route.ReadForm(context.Form);
            context.SessionId = Routing.SessionKey.Header(request.Headers)?[2..];
            return;
        }
        // Raw invalid UTF-8 is refused outright: TokenOps would read one string and the provider another (or refuse it
        // after billing nothing, while our estimate of it could not be decoded). One vectorised pass over the body.
        if (!Utf8.IsValid(body))
            throw GatewayException.BadRequest("invalid_encoding", "The request body is not valid UTF-8; send JSON encoded as UTF-8.");
        using var doc = Parse(body);
        if (doc.RootElement.ValueKind != JsonValueKind.Object)
            throw GatewayException.BadRequest("invalid_json", "The request body must be a JSON object.");
        context.Facts = context.Route.Read(doc.RootElement);
        context.Fingerprint = RequestFingerprint.Of(doc.RootElement);
        context.SessionId = Routing.SessionKey.Header(request.Headers)?[2..] ?? Routing.SessionKey.Conversation(doc.RootElement)?[2..];
    }

    /// <summary>
    /// A repeated property (in any escaping: <c>"stream\u005foptions"</c> is <c>"stream_options"</c>) is refused at every
    /// depth: TokenOps reads the first or a merged value while providers obey the last, so a repeat would let a client
    /// switch off usage reporting, dodge a degrade or defeat a clamp. The parser does the check as it builds the document.
    /// </summary>
    private static JsonDocument Parse(byte[] body)
    {
        try
        {
            return JsonDocument.Parse(body, Strict);
        }
        catch (JsonException ex)
        {
            if (DuplicateProperty.Find(body) is { } name)
                throw GatewayException.BadRequest("duplicate_field",
                    $"The request body repeats the field '{name}'. Send each field once: TokenOps meters what the provider obeys.", name);
            throw GatewayException.BadRequest("invalid_json", $"The request body is not valid JSON: {ex.Message}");
        }
    }

    private static readonly JsonDocumentOptions Strict = new() { AllowDuplicateProperties = false };

    private static GatewayException TooLarge(long limit) =>
        new(413, "request_too_large", $"The request body is larger than the gateway's limit of {limit} bytes (maxRequestBodyBytes).");

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

    private static async Task<byte[]> ReadBoundedAsync(Stream body, long limit, CancellationToken cancellationToken)
    {
        var writer = new ArrayBufferWriter<byte>(4096);
        while (true)
        {
            var memory = writer.GetMemory(8192);
            var read = await ReadAsync(body, memory, cancellationToken);
            if (read == 0) break;
            writer.Advance(read);
            if (writer.WrittenCount > limit) throw TooLarge(limit);
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
