using System.Net.Http.Headers;
using System.Text.Json;
using TokenOps.Core.Import;
using TokenOps.Core.Ledger;
using TokenOps.Storage.Import;

namespace TokenOps.Cli.Commands;

/// <summary>
/// Sends imported rows to an organisation's gateway (<c>POST /v1/tokenops/usage</c>) instead of the local ledger: token
/// counts only (the gateway prices them with its catalog), in batches, with the developer's own virtual key. A batch the
/// gateway does not take stops the import before that file's progress is saved, so the next run sends it again (the
/// gateway keeps one row per event id). Events it rejects are counted and their reasons printed.
/// </summary>
internal sealed class UsageUploader(Uri gateway, string key, HttpClient http) : IImportSink
{
    private const int BatchSize = 1000;
    public int Rejected { get; private set; }
    public int Duplicates { get; private set; }
    public List<string> Reasons { get; } = [];

    public static Uri Endpoint(string url)
    {
        if (!Uri.TryCreate(url.TrimEnd('/') + "/", UriKind.Absolute, out var baseUri) || baseUri.Scheme is not ("http" or "https"))
            throw new CliException($"--to must be the gateway's http(s) URL, not '{url}'", 2);
        return new Uri(baseUri, "v1/tokenops/usage");
    }

    public int Merge(IReadOnlyList<LedgerEntry> rows)
    {
        var added = 0;
        foreach (var chunk in rows.Chunk(BatchSize))
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, gateway)
            {
                Content = new ByteArrayContent(PushedUsage.WriteBatch(chunk.Select(PushedUsage.From))),
            };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
            HttpResponseMessage response;
            try
            {
                response = http.Send(request);
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                throw new CliException($"cannot reach {gateway.GetLeftPart(UriPartial.Authority)}: {ex.Message} (nothing from this file was recorded as sent; run again)");
            }
            using (response)
            {
                var body = response.Content.ReadAsStringAsync().GetAwaiter().GetResult();
                if (!response.IsSuccessStatusCode)
                    throw new CliException($"the gateway refused the usage ({(int)response.StatusCode}): {ErrorMessage(body)}");
                using var doc = JsonDocument.Parse(body);
                var root = doc.RootElement;
                added += root.GetProperty("added").GetInt32();
                Duplicates += root.GetProperty("duplicates").GetInt32();
                foreach (var r in root.GetProperty("rejected").EnumerateArray())
                {
                    Rejected++;
                    if (Reasons.Count < 10) Reasons.Add($"{r.GetProperty("id")}: {r.GetProperty("reason").GetString()}");
                }
            }
        }
        return added;
    }

    private static string ErrorMessage(string body)
    {
        try
        {
            using var doc = JsonDocument.Parse(body);
            return doc.RootElement.GetProperty("error").GetProperty("message").GetString() ?? body;
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return body.Length > 200 ? body[..200] : body;
        }
    }
}
