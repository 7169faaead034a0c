using System.Text;
using System.Text.Unicode;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;

namespace TokenOps.Gateway.Protocols;

/// <summary>
/// A <c>multipart/form-data</c> request body (audio uploads), read from the bytes the read stage already bounded: its
/// text fields, its files, and the parts in order so that the body can be rebuilt with one field changed (the model,
/// when a route or a degrade serves another). A repeated field is refused, as a repeated JSON property is: TokenOps
/// would read one value and the provider another. Array fields (<c>include[]</c>) may repeat.
/// </summary>
public sealed class MultipartForm
{
    private const int MaxParts = 64;
    private readonly List<Part> _parts;

    private MultipartForm(string contentType, string boundary, List<Part> parts)
    {
        ContentType = contentType;
        Boundary = boundary;
        _parts = parts;
    }

    /// <summary>The request's Content-Type, boundary included, sent upstream unchanged.</summary>
    public string ContentType { get; }
    public string Boundary { get; }

    /// <summary>One part: a text field, or a file when it has a file name.</summary>
    public sealed record Part(string Name, string? FileName, IReadOnlyDictionary<string, StringValues> Headers, byte[] Content)
    {
        public bool IsFile => FileName is not null;
    }

    public IReadOnlyList<Part> Parts => _parts;

    /// <summary>A text field's value, or null when the form has none.</summary>
    public string? Field(string name)
    {
        foreach (var part in _parts)
            if (!part.IsFile && part.Name == name) return Encoding.UTF8.GetString(part.Content);
        return null;
    }

    public Part? File(string name) => _parts.FirstOrDefault(p => p.IsFile && p.Name == name);

    /// <summary>Reads the form; throws a 400 <see cref="GatewayException"/> for anything that is not a well-formed one.</summary>
    public static async Task<MultipartForm> ReadAsync(string? contentType, byte[] body)
    {
        if (!MediaTypeHeaderValue.TryParse(contentType, out var media) || !media.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase))
            throw GatewayException.BadRequest("invalid_content_type", "This endpoint takes a multipart/form-data body (the audio file and its fields).");
        var boundary = HeaderUtilities.RemoveQuotes(media.Boundary).Value;
        if (string.IsNullOrEmpty(boundary) || boundary.Length > 70)
            throw GatewayException.BadRequest("invalid_content_type", "The multipart/form-data Content-Type needs a boundary of 1 to 70 characters.");
        var reader = new MultipartReader(boundary, new MemoryStream(body, writable: false)) { BodyLengthLimit = body.Length, HeadersCountLimit = 16 };
        var parts = new List<Part>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            while (await reader.ReadNextSectionAsync() is { } section)
            {
                if (parts.Count == MaxParts) throw GatewayException.BadRequest("invalid_multipart", $"The form has more than {MaxParts} parts.");
                if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition) || !disposition.DispositionType.Equals("form-data", StringComparison.OrdinalIgnoreCase))
                    throw GatewayException.BadRequest("invalid_multipart", "Every part of the form needs a 'Content-Disposition: form-data; name=...' header.");
                var name = HeaderUtilities.RemoveQuotes(disposition.Name).Value ?? "";
                var fileName = disposition.IsFileDisposition() ? HeaderUtilities.RemoveQuotes(disposition.FileNameStar.HasValue ? disposition.FileNameStar : disposition.FileName).Value ?? "" : null;
                using var content = new MemoryStream();
                await section.Body.CopyToAsync(content);
                var bytes = content.ToArray();
                if (fileName is null && !Utf8.IsValid(bytes))
                    throw GatewayException.BadRequest("invalid_encoding", $"The form field '{name}' is not valid UTF-8.", name);
                if (!name.EndsWith("[]", StringComparison.Ordinal) && !seen.Add(name))
                    throw GatewayException.BadRequest("duplicate_field", $"The form repeats the field '{name}'. Send each field once: TokenOps meters what the provider obeys.", name);
                parts.Add(new Part(name, fileName, section.Headers ?? new Dictionary<string, StringValues>(), bytes));
            }
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException)
        {
            throw GatewayException.BadRequest("invalid_multipart", $"The request body is not a well-formed multipart form: {ex.Message}");
        }
        return new MultipartForm(contentType!, boundary, parts);
    }

    /// <summary>The body with <paramref name="name"/> set to <paramref name="value"/>, every other part as it came.</summary>
    public byte[] With(string name, string value)
    {
        using var output = new MemoryStream();
        var found = false;
        foreach (var part in _parts)
        {
            var content = part.Content;
            if (!part.IsFile && part.Name == name)
            {
                content = Encoding.UTF8.GetBytes(value);
                found = true;
            }
            Write(output, part.Headers, content);
        }
        if (!found)
            Write(output, new Dictionary<string, StringValues> { ["Content-Disposition"] = $"form-data; name=\"{name}\"" }, Encoding.UTF8.GetBytes(value));
        output.Write(Encoding.ASCII.GetBytes("--" + Boundary + "--\r\n"));
        return output.ToArray();
    }

    private void Write(Stream output, IReadOnlyDictionary<string, StringValues> headers, byte[] content)
    {
        var head = new StringBuilder("--").Append(Boundary).Append("\r\n");
        foreach (var (header, values) in headers)
            foreach (var v in values) head.Append(header).Append(": ").Append(v).Append("\r\n");
        head.Append("\r\n");
        output.Write(Encoding.UTF8.GetBytes(head.ToString()));
        output.Write(content);
        output.Write("\r\n"u8);
    }
}
