using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using TokenOps.Core.Pricing;

namespace TokenOps.Gateway.Tests.Pricing;

/// <summary>Catalogs in LiteLLM's format made from the bundled one, and a loopback HTTP server that serves them.</summary>
internal static class CatalogFiles
{
    /// <summary>A model no bundled catalog has, with a family the catalog knows (claude-sonnet), priced at $4 / $20.</summary>
    public const string NewModel = "claude-sonnet-9-1";

    /// <summary>
    /// The bundled catalog with <see cref="NewModel"/> added, gpt-4o-mini's output raised from $0.60 to $0.90 per
    /// million tokens and gpt-4-0613 removed.
    /// </summary>
    public static byte[] Updated()
    {
        var root = JsonNode.Parse(BundledCatalog.Bytes)!.AsObject();
        root[NewModel] = new JsonObject
        {
            ["litellm_provider"] = "anthropic", ["mode"] = "chat", ["max_input_tokens"] = 200000, ["max_output_tokens"] = 64000,
            ["input_cost_per_token"] = 4e-6, ["output_cost_per_token"] = 2e-5,
        };
        root["gpt-4o-mini"]!["output_cost_per_token"] = 9e-7;
        Assert.True(root.Remove("gpt-4-0613"));
        return System.Text.Encoding.UTF8.GetBytes(root.ToJsonString());
    }

    public static string Version(byte[] catalog) => PriceCatalog.VersionOf(catalog);

    public static string Write(string directory, string name, byte[] bytes)
    {
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }
}

/// <summary>
/// An HTTP server on loopback (HttpListener) that answers every GET with the given status and body, or stalls after
/// the headers when <paramref name="stall"/> is set (to test the timeout).
/// </summary>
internal sealed class CatalogServer : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly CancellationTokenSource _stop = new();

    public CatalogServer(byte[] body, int status = 200, bool stall = false)
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        Url = $"http://127.0.0.1:{port}/model_prices_and_context_window.json";
        _listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        _listener.Start();
        _ = Task.Run(async () =>
        {
            while (!_stop.IsCancellationRequested)
            {
                HttpListenerContext context;
                try { context = await _listener.GetContextAsync(); }
                catch (Exception) { return; }
                Requests++;
                context.Response.StatusCode = status;
                if (stall)
                {
                    context.Response.SendChunked = true;
                    await context.Response.OutputStream.WriteAsync(body.AsMemory(0, 10));
                    await context.Response.OutputStream.FlushAsync();
                    try { await Task.Delay(Timeout.Infinite, _stop.Token); } catch (OperationCanceledException) { }
                    continue;
                }
                context.Response.ContentLength64 = body.Length;
                await context.Response.OutputStream.WriteAsync(body);
                context.Response.Close();
            }
        });
    }

    public string Url { get; }
    public int Requests { get; private set; }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Close();
    }
}
