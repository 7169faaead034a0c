using System.ClientModel;
using System.ClientModel.Primitives;
using OpenAI;
using OpenAI.Chat;
using OpenAI.Embeddings;
using OpenAI.Responses;

namespace TokenOps.Gateway.Tests.Infrastructure;

/// <summary>One gateway shared by a test class (xunit class fixture), with SDK clients bound to a virtual key.</summary>
public sealed class SharedGateway : IAsyncLifetime
{
    public GatewayFixture Gateway { get; private set; } = null!;

    public async Task InitializeAsync() => Gateway = await GatewayFixture.StartAsync();

    /// <summary>For a class fixture that needs its own configuration.</summary>
    public async Task InitializeAsync(Action<TokenOps.Gateway.Configuration.GatewayOptions> configure) => Gateway = await GatewayFixture.StartAsync(configure);

    public async Task DisposeAsync() => await Gateway.DisposeAsync();

    public OpenAIClientOptions OpenAIOptions() => new()
    {
        Endpoint = new Uri(Gateway.BaseUrl, "v1"),
        RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
        NetworkTimeout = TimeSpan.FromSeconds(20),
    };

    public ChatClient Chat(string model, string key) => new(model, new ApiKeyCredential(key), OpenAIOptions());

    public EmbeddingClient Embeddings(string model, string key) => new(model, new ApiKeyCredential(key), OpenAIOptions());

    public ResponsesClient Responses(string key) => new(new ApiKeyCredential(key), new ResponsesClientOptions
    {
        Endpoint = new Uri(Gateway.BaseUrl, "v1"),
        RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
        NetworkTimeout = TimeSpan.FromSeconds(20),
    });

    public Anthropic.AnthropicClient Anthropic(string key) => new(new Anthropic.Core.ClientOptions
    {
        BaseUrl = Gateway.BaseUrl.ToString().TrimEnd('/'),
        ApiKey = key,
        MaxRetries = 0,
        Timeout = TimeSpan.FromSeconds(20),
    });
}
