using Microsoft.Extensions.DependencyInjection.Extensions;
using System.Net;
using Microsoft.AspNetCore.Hosting.Server.Features;
using TokenOps.Core.Pricing;
using TokenOps.Core.Budgets;
using TokenOps.Gateway.Admin;
using TokenOps.Gateway.Budgets;
using TokenOps.Gateway.Configuration;
using TokenOps.Gateway.Health;
using TokenOps.Gateway.Metering;
using TokenOps.Gateway.Outcomes;
using TokenOps.Gateway.Pipeline;
using TokenOps.Gateway.Protocols;
using TokenOps.Gateway.Protocols.Anthropic;
using TokenOps.Gateway.Protocols.OpenAI;
using TokenOps.Gateway.Providers;
using TokenOps.Gateway.RateLimits;
using TokenOps.Gateway.Telemetry;
using TokenOps.Storage.Journal;
using TokenOps.Core.Ledger;
using TokenOps.Storage;

using TokenOps.Gateway.UsagePush;

namespace TokenOps.Gateway;

/// <summary>Builds and starts the gateway. A simulated provider, when wanted, is started by the caller and passed as a URL.</summary>
public static class GatewayHost
{
    /// <summary>Every proxied route. The route-inventory test checks each is mapped through the metered pipeline.</summary>
    public static readonly IReadOnlyList<ProtocolRoute> ProxiedRoutes =
        [new ChatCompletionsRoute(), new ResponsesRoute(), new EmbeddingsRoute(), new MessagesRoute(), new CountTokensRoute(), new ModerationsRoute(),
         new CompletionsRoute(), new ImageGenerationsRoute(), new Protocols.OpenAI.Audio.AudioSpeechRoute(),
         new Protocols.OpenAI.Audio.AudioTranscriptionRoute(translate: false), new Protocols.OpenAI.Audio.AudioTranscriptionRoute(translate: true)];

    public static async Task<GatewayApp> StartAsync(GatewaySettings settings, CancellationToken cancellationToken = default)
    {
        var app = Build(settings, settings.SimulatorUrl);
        await app.StartAsync(cancellationToken);
        return new GatewayApp(app, new Uri(BoundAddress(app)));
    }

    private static WebApplication Build(GatewaySettings settings, Uri? simulatorUrl)
    {
        var options = settings.Options;
        // Config files are not watched: TokenOps reads tokenops.json itself (RouteReloader polls it). The default
        // watcher observes the working directory recursively; with the data directory under it (the default
        // ./.tokenops) every journal and SQLite write woke it, tens of thousands of inotify reads a second under load.
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = ["--hostBuilder:reloadConfigOnChange=false"] });
        builder.Logging.ClearProviders();
        // No colours: log lines carry client input, and the CLI shows control characters escaped (TerminalSafeWriter).
        builder.Logging.AddSimpleConsole(o => { o.SingleLine = true; o.ColorBehavior = Microsoft.Extensions.Logging.Console.LoggerColorBehavior.Disabled; })
            .SetMinimumLevel(settings.MinimumLogLevel);
        // Per-request framework logs cost ~40 µs of CPU per request on the console (bench/); TokenOps' ledger is the request log.
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        // Hosting only logs request start/finish here, but while any level of it is enabled it also builds an Activity
        // and a log scope for every request (to stamp trace ids on log lines): 5 % of the gateway's allocations.
        // Errors in requests are still logged, by Kestrel and by the pipeline.
        builder.Logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.None);
        settings.ConfigureLogging?.Invoke(builder.Logging);
        builder.WebHost.UseUrls(settings.Urls);
        // A backstop: no endpoint reads more than 1 MiB unless its guard says so. EndpointGuard lifts it per request for
        // the proxied routes (the read stage enforces maxRequestBodyBytes, so the refusal is in the client's protocol)
        // and sets each other endpoint's own bound.
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = EndpointGuard.DefaultMaxBodyBytes);
        // Inline I/O: with DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1 (read by the runtime for every socket, the
        // upstream HttpClient's included), Kestrel also runs request continuations on its I/O threads instead of
        // hopping to the thread pool. Fewer wake-ups per request; safe here because the pipeline never blocks for long.
        if (Environment.GetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS") == "1")
            builder.WebHost.UseSockets(o => o.UnsafePreferInlineScheduling = true);
        builder.Services.Configure<HostOptions>(h => h.ShutdownTimeout = TimeSpan.FromSeconds(30));

        var router = BuildRouter(options, simulatorUrl, settings);

        var services = builder.Services;
        services.AddSingleton(settings.Time);
        services.AddSingleton(options);
        services.AddTokenOpsStorage(options.Storage, options.DataDirectory);
        services.AddTokenOpsRedisCounters(options.Redis, TimeSpan.FromMinutes(options.Routing.PinMinutes));
        services.AddSingleton(sp => new LedgerJournal(Path.Combine(options.DataDirectory, "journal"), new JournalSettings
        {
            SegmentBytes = options.JournalSegmentBytes,
            MinFreeBytes = options.JournalMinFreeBytes,
            FlushToDisk = options.JournalFlushToDisk,
        }, health => JournalLog(sp.GetRequiredService<ILogger<LedgerJournal>>(), health)));
        services.AddSingleton(sp =>
        {
            var log = sp.GetRequiredService<ILogger<LedgerWriter>>();
            return new LedgerWriter(sp.GetRequiredService<ILedgerStore>(), sp.GetRequiredService<LedgerJournal>(),
                ex => log.LogWarning("Ledger store write failed, will retry (events are safe in the journal): {Message}", ex.Message),
                TimeSpan.FromMilliseconds(options.LedgerBatchWindowMs));
        });
        services.AddSingleton<TokenCounter>();
        services.AddSingleton<Keys.KeyUsage>();
        services.AddSingleton<Keys.KeyUsageFlusher>();
        services.AddHostedService(sp => sp.GetRequiredService<Keys.KeyUsageFlusher>());
        services.AddSingleton<AuthenticateStage>();
        services.AddSingleton<AttributeStage>();
        services.AddSingleton<LedgerAvailabilityStage>();
        services.AddSingleton(new ReadRequestStage(options.MaxRequestBodyBytes));
        var routerHolder = new ModelRouterHolder(router);
        services.AddSingleton(routerHolder);
        // Routes and prices follow tokenops.json (when the gateway was started from one) and the catalog pointer that
        // `tokenops prices update` writes; the data directory itself is fixed at start.
        var catalogPointer = new Pricing.StoredCatalogs(options.DataDirectory).PointerPath;
        string[] watched = settings.ConfigPath is { } configPath ? [configPath, catalogPointer] : [catalogPointer];
        services.AddHostedService(sp => new RouteReloader(watched, settings.ConfigReloadInterval,
            () => settings.ConfigPath is { } path ? ConfigurationLoader.Load(path, serving: true) : options,
            next => BuildRouter(next, simulatorUrl, settings), routerHolder, sp.GetRequiredService<ILogger<RouteReloader>>(),
            sp.GetRequiredService<LiveSettings>().Apply));
        services.AddSingleton(sp => new LiveSettings(options, sp.GetRequiredService<BudgetEngine>(), sp.GetRequiredService<ILogger<LiveSettings>>()));
        services.AddSingleton(UpstreamClient.Create());
        services.AddSingleton<BudgetEngine>();
        services.AddSingleton<IBudgetSnapshots>(sp => sp.GetRequiredService<BudgetEngine>());
        services.AddHostedService<BudgetRefresher>();
        services.AddSingleton(new OutputControl.OutputControlPolicy(options.OutputControl));
        services.AddSingleton<OutputControlStage>();
        services.AddRateLimits();
        services.AddSingleton<AdmitStage>();
        // The scorer's embedding model loads on the first auto request, never at start: no cost when no one routes.
        services.AddSingleton<TokenOps.Routing.IRouteScorer>(_ => TokenOps.Routing.StrongScorer.LoadDefault());
        // Session pins in this process, unless Redis (registered above) shares them across the fleet.
        services.TryAddSingleton<TokenOps.Core.Routing.ISessionPins>(new TokenOps.Core.Routing.InProcessSessionPins(TimeSpan.FromMinutes(options.Routing.PinMinutes), options.Routing.MaxPinnedSessions));
        services.AddSingleton<Routing.CandidatePicker>();
        services.AddSingleton<Routing.RouterStage>();
        services.AddSingleton<Routing.CascadeStage>();
        services.AddSingleton(new PromptCache.PromptCachePolicy(options.PromptCache));
        services.AddSingleton<PromptCacheStage>();
        // The response cache: the exact lookup first; a second lookup (semantic) registers after it (IResponseCacheLookup).
        services.AddSingleton(new ResponseCache.ResponseCachePolicy(options.Cache));
        services.AddSingleton<ResponseCache.IResponseCacheLookup, ResponseCache.ExactResponseCache>();
        services.AddSingleton<ResponseCache.SemanticResponseCache>();
        services.AddSingleton<ResponseCache.IResponseCacheLookup>(sp => sp.GetRequiredService<ResponseCache.SemanticResponseCache>());
        services.AddHostedService<ResponseCache.SemanticIndexSync>();
        services.AddSingleton<ResponseCache.ResponseCacheStage>();
        services.AddSingleton<SettleStage>();
        services.AddSingleton<ForwardStage>();
        services.AddSingleton<GatewayPipeline>();
        services.AddSingleton<ModelsEndpoint>();
        // The batch lane: files and batches forwarded to the provider, budgets held per batch, lines settled once.
        services.AddSingleton<Batches.BatchUpstream>();
        services.AddSingleton<Batches.BatchSettler>();
        services.AddSingleton<Batches.BatchEndpoints>();
        services.AddSingleton<Responses.BackgroundResponses>();
        services.AddSingleton<Responses.StoredResponseEndpoints>();
        services.AddSingleton<Batches.BatchPoller>();
        services.AddHostedService(sp => sp.GetRequiredService<Batches.BatchPoller>());
        services.AddSingleton(new AdminToken(options.AdminTokenEnv));
        services.AddSingleton<AdminCredentials>();
        services.AddSingleton(sp => new TokenOps.Storage.Retention.LedgerRetentionRunner(sp.GetRequiredService<ILedgerStore>(),
            sp.GetRequiredService<TokenOps.Storage.ILedgerRetention>(), sp.GetRequiredService<TimeProvider>()));
        services.AddHostedService<Health.RetentionService>();
        // Alerts, forecasts, token poker (IBudgetSnapshots is resolved optionally: no budgets, nothing to evaluate).
        Alerts.AlertEndpoints.AddAlertsAndPoker(services, options);
        services.AddOutcomes(options.Outcomes);
        Dashboard.DashboardEndpoints.AddDashboard(services);
        Dashboard.Sso.OidcSignIn.Add(services, options.Dashboard);
        services.AddGatewayTelemetry(options.Telemetry);
        services.AddBadRequestAnswers();

        var app = builder.Build();
        // Open the ledger (and replay a journal left by a crash) before the first request.
        app.Services.GetRequiredService<LedgerWriter>();
        // The pipeline is a singleton taken once here: resolving it per request made a DI scope for every request.
        var pipeline = app.Services.GetRequiredService<GatewayPipeline>();
        app.UseBadRequestAnswers();
        // Credentials from headers, then a bounded body, before any endpoint that is not proxied runs (EndpointGuard).
        app.UseEndpointGuard();
        foreach (var route in ProxiedRoutes)
        {
            app.MapPost(route.Path, (HttpContext http) => pipeline.InvokeAsync(http, route))
                .WithMetadata(new MeteredRouteAttribute(route.Name));
        }
        app.MapGet("/v1/models", (HttpContext http, ModelsEndpoint models) => models.InvokeAsync(http))
            .WithMetadata(new MeteredRouteAttribute(ModelsEndpoint.RouteName));
        app.MapGet("/v1/models/{**id}", (HttpContext http, string id, ModelsEndpoint models) => models.InvokeOneAsync(http, id))
            .WithMetadata(new MeteredRouteAttribute(ModelsEndpoint.RouteName));
        app.MapUsagePush();
        Batches.BatchEndpoints.Map(app);
        Responses.StoredResponseEndpoints.Map(app);
        app.MapUnknownEndpoints(ProxiedRoutes.Select(r => r.Path));
        app.MapHealth();
        AdminEndpoints.Map(app);
        Alerts.AlertEndpoints.Map(app);
        OutcomeEndpoints.MapWebhooks(app);
        Dashboard.DashboardEndpoints.Map(app);
        if (options.Dashboard.Enabled) Dashboard.Sso.OidcSignIn.Map(app, options.Dashboard);
        app.MapGatewayTelemetry(options.Telemetry);
        app.Lifetime.ApplicationStopped.Register(() => app.Services.GetRequiredService<LedgerWriter>().DisposeAsync().AsTask().GetAwaiter().GetResult());
        return app;
    }

    private static void JournalLog(ILogger log, JournalHealth health)
    {
        if (health.State == JournalState.Healthy) log.LogInformation("Ledger journal recovered: recording normally");
        else if (health.State == JournalState.Degraded)
            log.LogWarning("Ledger journal degraded, still recording into the current segment, retrying: {Problem}", health.Problem);
        else log.LogError("Ledger journal cannot record: new requests are refused with 503 until it recovers: {Problem}", health.Problem);
    }

    /// <summary>Models, providers and prices as one immutable router (rebuilt whole when the config file changes).</summary>
    private static ModelRouter BuildRouter(GatewayOptions options, Uri? simulatorUrl, GatewaySettings settings)
    {
        // The catalog in force lives in the data directory the gateway started with (a reloaded file cannot move it).
        var catalog = Pricing.ActiveCatalog.Load(settings.Options.DataDirectory, options.Prices).Catalog;
        var providers = Providers(options, simulatorUrl, settings);
        var models = new ModelRouter(catalog, providers, options.Models, options.AllowUnpriced, SimulatorFallback(providers), options.Pricing.FamilyFallback);
        // The routers are compiled against these routes and prices, and swapped with them on a reload.
        models.Routers = Routing.AutoRouters.Build(options.Routing, models);
        models.Degrades = Budgets.DegradeTargets.Build(options.Budgets, models);
        return models;
    }

    /// <summary>
    /// Models and routers for commands that decide without forwarding anything (<c>tokenops route score</c>): the configured
    /// providers without their keys, and every other priced model as if simulated, so routers validate as the gateway does.
    /// </summary>
    public static ModelRouter BuildOfflineRouter(GatewayOptions options)
    {
        var catalog = Pricing.ActiveCatalog.Load(options.DataDirectory, options.Prices).Catalog;
        var unused = new Uri("http://127.0.0.1:9/");
        var providers = new Dictionary<string, ProviderEndpoint>(StringComparer.Ordinal);
        foreach (var (name, p) in options.Providers)
            providers[name] = new ProviderEndpoint(name, p.Kind == "anthropic" ? Dialect.Anthropic : Dialect.OpenAI, unused, new Secret(""), TimeSpan.FromSeconds(1));
        providers.TryAdd(SimulatedOpenAI, new ProviderEndpoint(SimulatedOpenAI, Dialect.OpenAI, unused, new Secret(""), TimeSpan.FromSeconds(1)));
        providers.TryAdd(SimulatedAnthropic, new ProviderEndpoint(SimulatedAnthropic, Dialect.Anthropic, unused, new Secret(""), TimeSpan.FromSeconds(1)));
        var models = new ModelRouter(catalog, providers, options.Models, options.AllowUnpriced, SimulatorFallback(providers), options.Pricing.FamilyFallback);
        models.Routers = Routing.AutoRouters.Build(options.Routing, models);
        return models;
    }

    /// <summary>The protocol routes, by name, for offline commands that read request bodies as the gateway does.</summary>
    public static ProtocolRoute Protocol(string name) => ProxiedRoutes.Single(r => r.Name == name);

    private static Dictionary<string, ProviderEndpoint> Providers(GatewayOptions options, Uri? simulatorUrl, GatewaySettings settings)
    {
        var providers = new Dictionary<string, ProviderEndpoint>(StringComparer.Ordinal);
        foreach (var (name, p) in options.Providers)
            providers[name] = new ProviderEndpoint(name, p.Kind == "anthropic" ? Dialect.Anthropic : Dialect.OpenAI,
                new Uri(p.BaseUrl), GatewayOptionsValidator.ResolveApiKey(p), TimeSpan.FromSeconds(p.TimeoutSeconds)) { ForwardHeaders = p.ForwardHeaders };
        if (simulatorUrl is not null)
        {
            // The simulator's own request headers (faults, latency) pass, so tests and demos can steer it through the gateway.
            string[] simulatorHeaders = ["x-sim-*"];
            providers.TryAdd(SimulatedOpenAI, new ProviderEndpoint(SimulatedOpenAI, Dialect.OpenAI, simulatorUrl, settings.SimulatorApiKey, settings.SimulatorTimeout) { ForwardHeaders = simulatorHeaders });
            providers.TryAdd(SimulatedAnthropic, new ProviderEndpoint(SimulatedAnthropic, Dialect.Anthropic, simulatorUrl, settings.SimulatorApiKey, settings.SimulatorTimeout) { ForwardHeaders = simulatorHeaders });
        }
        return providers;
    }

    public const string SimulatedOpenAI = "simulator-openai";
    public const string SimulatedAnthropic = "simulator-anthropic";

    /// <summary>With --simulate, a priced chat/responses/embedding model with no configured provider goes to the simulator.</summary>
    private static Func<ModelPrice, ProviderEndpoint?>? SimulatorFallback(Dictionary<string, ProviderEndpoint> providers)
    {
        if (!providers.TryGetValue(SimulatedOpenAI, out var openai) || !providers.TryGetValue(SimulatedAnthropic, out var anthropic)) return null;
        return price => !price.IsCostable ? null : price.Mode switch
        {
            "chat" or "responses" or "embedding" or "completion" or "moderation" or "image_generation" or "audio_transcription" or "audio_speech"
                => price.Provider == "anthropic" ? anthropic : openai,
            _ => null,
        };
    }

    public static string BoundAddress(WebApplication app)
    {
        var addresses = app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
        return addresses.First().Replace("[::]", "127.0.0.1", StringComparison.Ordinal).Replace("localhost", "127.0.0.1", StringComparison.Ordinal);
    }
}

/// <summary>Marks an endpoint as running through the metered pipeline (checked by the route-inventory test).</summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Method)]
public sealed class MeteredRouteAttribute(string name) : Attribute
{
    public string Name { get; } = name;
}

/// <summary>A running gateway.</summary>
public sealed class GatewayApp(WebApplication app, Uri baseUrl) : IAsyncDisposable
{
    public WebApplication App { get; } = app;
    public Uri BaseUrl { get; } = baseUrl;
    public IServiceProvider Services => App.Services;

    public Task FlushLedgerAsync() => Services.GetRequiredService<LedgerWriter>().FlushAsync();

    public async ValueTask DisposeAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
    }
}
