using System.Buffers;
using System.Net;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

// Usage: tokenops-relay --upstream http://127.0.0.1:PORT --urls http://127.0.0.1:0 [--upstream-key KEY]
// The floor under the gateway: what forwarding a request costs with the same server, client and settings as the
// gateway (src/TokenOps.Gateway/GatewayHost.cs, Pipeline/ForwardStage.cs), without parsing, metering or a ledger.
var opts = new Dictionary<string, string>(StringComparer.Ordinal);
for (var i = 0; i < args.Length; i++)
{
    if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
    {
        Console.Error.WriteLine($"bad argument '{args[i]}' (usage: --upstream URL --urls URL [--upstream-key KEY])");
        return 2;
    }
    opts[args[i][2..]] = args[++i];
}
if (!opts.TryGetValue("upstream", out var upstreamArg))
{
    Console.Error.WriteLine("--upstream is required");
    return 2;
}
var upstreamBase = upstreamArg.TrimEnd('/');
var upstreamAuth = new AuthenticationHeaderValue("Bearer", opts.GetValueOrDefault("upstream-key", "sim-bench-key"));

// Same host settings as GatewayHost.Build: slim builder, only warnings logged, no Kestrel body limit, and inline
// socket scheduling when the same environment variable turns it on for the gateway.
// As the gateway: no config file watcher (see GatewayHost.Build).
var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = ["--hostBuilder:reloadConfigOnChange=false"] });
builder.Logging.ClearProviders();
builder.Logging.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning);
builder.WebHost.UseUrls(opts.GetValueOrDefault("urls", "http://127.0.0.1:0"));
builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = null);
if (Environment.GetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS") == "1")
    builder.WebHost.UseSockets(o => o.UnsafePreferInlineScheduling = true);
var app = builder.Build();

// One shared client: the gateway's own (same handler settings).
using var upstream = TokenOps.Gateway.Providers.UpstreamClient.Create();

// The same request headers the gateway drops (UpstreamRequestFactory) and response headers it does not copy (ForwardStage).
HashSet<string> droppedRequestHeaders = new(StringComparer.OrdinalIgnoreCase)
{
    "Host", "Authorization", "x-api-key", "Content-Length", "Content-Type", "Connection", "Keep-Alive",
    "Transfer-Encoding", "Upgrade", "Proxy-Connection", "Proxy-Authorization", "TE", "Trailer", "Accept-Encoding", "Expect",
};
HashSet<string> hopByHop = new(StringComparer.OrdinalIgnoreCase)
{
    "Connection", "Keep-Alive", "Transfer-Encoding", "Upgrade", "Proxy-Connection", "Trailer", "TE", "Content-Length",
};

app.MapPost("/v1/{**rest}", (RequestDelegate)(async http =>
{
    var aborted = http.RequestAborted;
    // The whole body into a byte array first, as the gateway's read stage does (it needs it to parse).
    var body = new ArrayBufferWriter<byte>(4096);
    while (true)
    {
        var read = await http.Request.Body.ReadAsync(body.GetMemory(8192), aborted);
        if (read == 0) break;
        body.Advance(read);
    }

    using var request = new HttpRequestMessage(HttpMethod.Post, upstreamBase + http.Request.Path + http.Request.QueryString)
    {
        Content = new ByteArrayContent(body.WrittenSpan.ToArray()),
        Version = HttpVersion.Version11,
    };
    request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
    foreach (var (name, values) in http.Request.Headers)
        if (!droppedRequestHeaders.Contains(name)) request.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values);
    request.Headers.Authorization = upstreamAuth;

    // HttpMessageInvoker.SendAsync returns once the headers are in (like ResponseHeadersRead); the body is streamed below.
    using var response = await upstream.SendAsync(request, aborted);
    http.Response.StatusCode = (int)response.StatusCode;
    foreach (var (name, values) in response.Headers)
        if (!hopByHop.Contains(name)) http.Response.Headers[name] = values.ToArray();
    foreach (var (name, values) in response.Content.Headers)
        if (!hopByHop.Contains(name)) http.Response.Headers[name] = values.ToArray();

    var stream = await response.Content.ReadAsStreamAsync(aborted);
    var buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
    try
    {
        if (response.Content.Headers.ContentType?.MediaType == "text/event-stream")
        {
            // Streams: each chunk out as soon as it arrives, one flush per read, as the gateway relays events.
            var output = http.Response.BodyWriter;
            int read;
            while ((read = await stream.ReadAsync(buffer, aborted)) > 0)
            {
                output.Write(buffer.AsSpan(0, read));
                await output.FlushAsync(aborted);
            }
        }
        else
        {
            // JSON: the whole answer first, then one write with a Content-Length, as the gateway does after metering.
            var filled = 0;
            while (true)
            {
                if (filled == buffer.Length) TokenOps.Core.Buffers.PooledBuffer.Grow(ref buffer, filled);
                var read = await stream.ReadAsync(buffer.AsMemory(filled), aborted);
                if (read == 0) break;
                filled += read;
            }
            http.Response.ContentLength = filled;
            await http.Response.Body.WriteAsync(buffer.AsMemory(0, filled), aborted);
        }
    }
    finally
    {
        ArrayPool<byte>.Shared.Return(buffer);
    }
}));

await app.StartAsync();
// The bound address (port 0 picks a free one), printed like the gateway's line that bench/run.sh waits for.
var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()
    .Replace("[::]", "127.0.0.1", StringComparison.Ordinal).Replace("localhost", "127.0.0.1", StringComparison.Ordinal);
Console.WriteLine($"relay listening on {bound}");
// Runs until SIGTERM / Ctrl+C (the host's console lifetime), then drains in-flight requests.
await app.WaitForShutdownAsync();
return 0;
