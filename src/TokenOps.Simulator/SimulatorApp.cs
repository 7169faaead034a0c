using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using TokenOps.Simulator.Protocols;
using TokenOps.Simulator.Protocols.Anthropic;
using TokenOps.Simulator.Protocols.Batches;
using TokenOps.Simulator.Protocols.OpenAI;

namespace TokenOps.Simulator;

/// <summary>
/// A simulated OpenAI + Anthropic provider for tests, demos and benchmarks. It speaks the real wire protocols
/// (streaming included) with deterministic usage (see <c>Generation/UsageRules.cs</c>) and records what it would
/// charge in a <see cref="SimulatorBill"/>.
/// </summary>
public static class SimulatorApp
{
    /// <summary>
    /// Builds (does not start) the simulator. <paramref name="urls"/> default to <c>http://127.0.0.1:0</c>
    /// (a free port: read <c>app.Urls</c> after <c>StartAsync</c>).
    /// </summary>
    public static WebApplication Build(SimulatorOptions options, params string[] urls)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();

        // The empty builder reads no appsettings.json / environment, so a host's Kestrel or logging
        // configuration cannot leak into the simulator when it runs inside another app's test process.
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions
        {
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.WebHost.UseKestrelCore();
        builder.WebHost.UseUrls(urls is { Length: > 0 } ? urls : ["http://127.0.0.1:0"]);
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.AddServerHeader = false);
        builder.Services.AddRoutingCore();
        builder.Logging.AddSimpleConsole();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Error);

        var bill = new SimulatorBill();
        var promptCache = new SimulatorPromptCache(options);
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(bill);
        builder.Services.AddSingleton(promptCache);

        var app = builder.Build();
        var host = new SimHost(options, bill, promptCache);
        var chat = new ChatCompletionsEndpoint(host);
        var storedResponses = new StoredResponses(host);
        var responses = new ResponsesEndpoint(host, storedResponses);
        var embeddings = new EmbeddingsEndpoint(host);
        var models = new ModelsEndpoint(host);
        var messages = new MessagesEndpoint(host);

        app.MapPost("/v1/chat/completions", (RequestDelegate)chat.HandleAsync);
        app.MapPost("/v1/responses", (RequestDelegate)responses.HandleAsync);
        app.MapGet("/v1/responses/{id}", (RequestDelegate)storedResponses.GetAsync);
        app.MapDelete("/v1/responses/{id}", (RequestDelegate)storedResponses.DeleteAsync);
        app.MapPost("/v1/responses/{id}/cancel", (RequestDelegate)storedResponses.CancelAsync);
        app.MapPost("/v1/embeddings", (RequestDelegate)embeddings.HandleAsync);
        app.MapPost("/v1/moderations", (RequestDelegate)new ModerationsEndpoint(host).HandleAsync);
        app.MapPost("/v1/completions", (RequestDelegate)new CompletionsEndpoint(host).HandleAsync);
        app.MapPost("/v1/images/generations", (RequestDelegate)new ImagesEndpoint(host).HandleAsync);
        app.MapPost("/v1/audio/speech", (RequestDelegate)new AudioSpeechEndpoint(host).HandleAsync);
        app.MapPost("/v1/audio/transcriptions", (RequestDelegate)new AudioTranscriptionsEndpoint(host, translate: false).HandleAsync);
        app.MapPost("/v1/audio/translations", (RequestDelegate)new AudioTranscriptionsEndpoint(host, translate: true).HandleAsync);
        app.MapGet("/v1/models", (RequestDelegate)models.HandleAsync);
        app.MapPost("/v1/messages", (RequestDelegate)messages.HandleAsync);
        app.MapPost("/v1/messages/count_tokens", (RequestDelegate)new CountTokensEndpoint(host).HandleAsync);
        var batches = new SimBatches(host);
        var openAIBatches = new OpenAIBatchEndpoints(batches);
        var anthropicBatches = new AnthropicBatchEndpoints(batches);
        app.MapPost("/v1/files", (RequestDelegate)openAIBatches.UploadAsync);
        app.MapGet("/v1/files/{id}", (RequestDelegate)openAIBatches.GetFileAsync);
        app.MapGet("/v1/files/{id}/content", (RequestDelegate)openAIBatches.GetFileContentAsync);
        app.MapPost("/v1/batches", (RequestDelegate)openAIBatches.CreateAsync);
        app.MapGet("/v1/batches", (RequestDelegate)openAIBatches.ListAsync);
        app.MapGet("/v1/batches/{id}", (RequestDelegate)openAIBatches.GetAsync);
        app.MapPost("/v1/batches/{id}/cancel", (RequestDelegate)openAIBatches.CancelAsync);
        app.MapPost("/v1/messages/batches", (RequestDelegate)anthropicBatches.CreateAsync);
        app.MapGet("/v1/messages/batches/{id}", (RequestDelegate)anthropicBatches.GetAsync);
        app.MapGet("/v1/messages/batches/{id}/results", (RequestDelegate)anthropicBatches.ResultsAsync);
        app.MapPost("/v1/messages/batches/{id}/cancel", (RequestDelegate)anthropicBatches.CancelAsync);
        app.MapGet("/_sim/bill", (RequestDelegate)(context => BillEndpoint.GetAsync(context, bill)));
        app.MapDelete("/_sim/bill", (RequestDelegate)(context => BillEndpoint.DeleteAsync(context, bill)));
        app.MapDelete("/_sim/prompt-cache", (RequestDelegate)(context =>
        {
            promptCache.Reset();
            context.Response.StatusCode = StatusCodes.Status204NoContent;
            return Task.CompletedTask;
        }));
        app.MapFallback((RequestDelegate)(context =>
            ProtocolErrors.OpenAIAsync(context, 404, $"Invalid URL ({context.Request.Method} {context.Request.Path})")));
        return app;
    }
}
