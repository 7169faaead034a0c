namespace TokenOps.Gateway.Pricing;

/// <summary>A catalog that could not be read from its source: one line, naming the source.</summary>
public sealed class CatalogSourceException(string message) : Exception(message);

/// <summary>
/// Reads a catalog in LiteLLM's format from a file or an http(s) URL, bounded in time and size: a source that is slow,
/// endless or huge fails in one line instead of hanging or filling memory. Nothing is parsed here.
/// </summary>
public static class CatalogSource
{
    /// <summary>LiteLLM's own catalog, the one the bundled copy was taken from.</summary>
    public const string DefaultUrl = "https://raw.githubusercontent.com/BerriAI/litellm/main/model_prices_and_context_window.json";

    /// <summary>LiteLLM's catalog is under 2 MB; 64 MiB leaves room for growth and still refuses a runaway response.</summary>
    public const long DefaultMaxBytes = 64L << 20;

    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    public static bool IsUrl(string source) =>
        Uri.TryCreate(source, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https";

    /// <exception cref="CatalogSourceException">Missing file, HTTP error, timeout, or more than <paramref name="maxBytes"/>.</exception>
    public static async Task<byte[]> ReadAsync(string source, TimeSpan timeout, long maxBytes, CancellationToken cancellationToken = default)
    {
        if (IsUrl(source)) return await DownloadAsync(new Uri(source), timeout, maxBytes, cancellationToken);
        var file = new FileInfo(source);
        if (!file.Exists) throw new CatalogSourceException($"{source}: no such file");
        if (file.Length > maxBytes) throw new CatalogSourceException($"{source}: {file.Length} bytes, more than the {maxBytes} a catalog may have");
        try
        {
            return await File.ReadAllBytesAsync(file.FullName, cancellationToken);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CatalogSourceException($"{source}: {ex.Message}");
        }
    }

    private static async Task<byte[]> DownloadAsync(Uri url, TimeSpan timeout, long maxBytes, CancellationToken cancellationToken)
    {
        // The timeout covers the whole exchange, body included: HttpClient.Timeout alone stops at the headers when the
        // body is streamed.
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        using var http = new HttpClient(new SocketsHttpHandler { ConnectTimeout = timeout }) { Timeout = Timeout.InfiniteTimeSpan };
        try
        {
            using var response = await http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, deadline.Token);
            if (!response.IsSuccessStatusCode)
                throw new CatalogSourceException($"{url}: HTTP {(int)response.StatusCode} {response.ReasonPhrase}");
            if (response.Content.Headers.ContentLength > maxBytes)
                throw new CatalogSourceException($"{url}: {response.Content.Headers.ContentLength} bytes, more than the {maxBytes} a catalog may have");
            await using var body = await response.Content.ReadAsStreamAsync(deadline.Token);
            using var copy = new MemoryStream();
            var buffer = new byte[81920];
            int read;
            while ((read = await body.ReadAsync(buffer, deadline.Token)) > 0)
            {
                if (copy.Length + read > maxBytes) throw new CatalogSourceException($"{url}: more than the {maxBytes} bytes a catalog may have");
                copy.Write(buffer, 0, read);
            }
            return copy.ToArray();
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new CatalogSourceException($"{url}: no complete answer within {timeout.TotalSeconds:0.#} s");
        }
        catch (HttpRequestException ex)
        {
            throw new CatalogSourceException($"{url}: {ex.Message}");
        }
    }
}
