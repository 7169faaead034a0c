using System.ClientModel;
using System.ClientModel.Primitives;
using System.Net.Http.Headers;
using Anthropic;
using Anthropic.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using OpenAI;
using OpenAI.Chat;
using OpenAI.Embeddings;
using OpenAI.Responses;

namespace TokenOps.Simulator.Tests;

/// <summary>A running simulator on a free loopback port, plus SDK clients pointed at it.</summary>
public sealed class SimulatorServer : IAsyncDisposable
{
    public const string ApiKey = "sk-sim-test";

    private SimulatorServer(WebApplication app, SimulatorOptions options)
    {
        App = app;
        Options = options;
        BaseUrl = app.Urls.First().TrimEnd('/');
        Bill = app.Services.GetRequiredService<SimulatorBill>();
        Http = new HttpClient { BaseAddress = new Uri(BaseUrl), Timeout = TimeSpan.FromSeconds(10) };
    }

    public WebApplication App { get; }

    public SimulatorOptions Options { get; }

    public string BaseUrl { get; }

    public SimulatorBill Bill { get; }

    public HttpClient Http { get; }

    /// <param name="configure">Runs before start (e.g. to add a request-capturing middleware).</param>
    public static async Task<SimulatorServer> StartAsync(SimulatorOptions? options = null, Action<WebApplication>? configure = null)
    {
        options ??= new SimulatorOptions();
        var app = SimulatorApp.Build(options, "http://127.0.0.1:0");
        configure?.Invoke(app);
        await app.StartAsync();
        return new SimulatorServer(app, options);
    }

    /// <summary>OpenAI SDK options: endpoint <c>{base}/v1</c>, no retries.</summary>
    public OpenAIClientOptions OpenAIOptions() => new()
    {
        Endpoint = new Uri(BaseUrl + "/v1"),
        RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
        NetworkTimeout = TimeSpan.FromSeconds(10),
    };

    public ChatClient Chat(string model) => new(model, new ApiKeyCredential(ApiKey), OpenAIOptions());

    /// <summary>A ChatClient that adds a header (e.g. x-sim-fault) to every request, via a pipeline policy.</summary>
    public ChatClient Chat(string model, string header, string value)
    {
        var options = OpenAIOptions();
        options.AddPolicy(new HeaderPolicy(header, value), PipelinePosition.PerCall);
        return new ChatClient(model, new ApiKeyCredential(ApiKey), options);
    }

    public EmbeddingClient Embeddings(string model) => new(model, new ApiKeyCredential(ApiKey), OpenAIOptions());

    public ResponsesClient Responses() => new(new ApiKeyCredential(ApiKey), new ResponsesClientOptions
    {
        Endpoint = new Uri(BaseUrl + "/v1"),
        RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
        NetworkTimeout = TimeSpan.FromSeconds(10),
    });

    /// <summary>Anthropic SDK client: BaseUrl is the server root (the SDK appends /v1/messages).</summary>
    public AnthropicClient Anthropic() => new(new ClientOptions
    {
        BaseUrl = BaseUrl,
        ApiKey = ApiKey,
        MaxRetries = 0,
        Timeout = TimeSpan.FromSeconds(10),
    });

    /// <summary>A raw JSON POST with OpenAI auth (or Anthropic auth when <paramref name="anthropic"/>).</summary>
    public HttpRequestMessage Post(string path, string json, bool anthropic = false, string? fault = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path)
        {
            Content = new StringContent(json, System.Text.Encoding.UTF8, "application/json"),
        };
        if (anthropic)
        {
            request.Headers.Add("x-api-key", ApiKey);
            request.Headers.Add("anthropic-version", "2023-06-01");
        }
        else
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", ApiKey);
        }

        if (fault is not null)
        {
            request.Headers.Add("x-sim-fault", fault);
        }

        return request;
    }

    /// <summary>Sends a request and parses its SSE body into (event, data) frames.</summary>
    public async Task<(HttpResponseMessage Response, List<SseFrame> Frames)> StreamAsync(HttpRequestMessage request)
    {
        var response = await Http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        return (response, SseFrame.Parse(body));
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
    }
}

/// <summary>One simulator shared by the tests of a class (bill entries are looked up by response id).</summary>
public sealed class SimulatorFixture : IAsyncLifetime
{
    private SimulatorServer? _server;

    public SimulatorServer Server => _server ?? throw new InvalidOperationException("Not started.");

    public async Task InitializeAsync() => _server = await SimulatorServer.StartAsync();

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}

/// <summary>One server-sent event: optional <c>event:</c> name and the <c>data:</c> payload.</summary>
public sealed record SseFrame(string? Event, string Data)
{
    public static List<SseFrame> Parse(string body)
    {
        Assert.DoesNotContain("\r", body);
        var frames = new List<SseFrame>();
        foreach (var block in body.Split("\n\n", StringSplitOptions.RemoveEmptyEntries))
        {
            string? name = null;
            string? data = null;
            foreach (var line in block.Split('\n'))
            {
                if (line.StartsWith("event: ", StringComparison.Ordinal))
                {
                    name = line["event: ".Length..];
                }
                else if (line.StartsWith("data: ", StringComparison.Ordinal))
                {
                    data = line["data: ".Length..];
                }
                else
                {
                    Assert.Fail($"unexpected SSE line '{line}'");
                }
            }

            frames.Add(new SseFrame(name, data ?? throw new InvalidOperationException("SSE frame without data: " + block)));
        }

        return frames;
    }

    public System.Text.Json.JsonElement Json => System.Text.Json.JsonDocument.Parse(Data).RootElement;
}

internal sealed class HeaderPolicy(string name, string value) : PipelinePolicy
{
    public override void Process(PipelineMessage message, IReadOnlyList<PipelinePolicy> pipeline, int currentIndex)
    {
        message.Request.Headers.Set(name, value);
        ProcessNext(message, pipeline, currentIndex);
    }

    public override ValueTask ProcessAsync(PipelineMessage message, IReadOnlyList<PipelinePolicy> pipeline, int currentIndex)
    {
        message.Request.Headers.Set(name, value);
        return ProcessNextAsync(message, pipeline, currentIndex);
    }
}
