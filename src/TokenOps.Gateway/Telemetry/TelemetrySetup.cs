using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using TokenOps.Gateway.Admin;
using TokenOps.Gateway.Configuration;

namespace TokenOps.Gateway.Telemetry;

/// <summary>
/// Wires <see cref="GatewayTelemetry"/> to its exporters: the Prometheus scrape endpoint (on by default) and OTLP
/// (traces and metrics, only when an endpoint is configured). With neither, no OpenTelemetry SDK is registered at
/// all: instruments stay disabled and no span is ever created.
/// </summary>
public static class TelemetrySetup
{
    public const string OtlpEndpointVariable = "OTEL_EXPORTER_OTLP_ENDPOINT";

    public static void AddGatewayTelemetry(this IServiceCollection services, TelemetryOptions options)
    {
        if (!options.MetricsPath.StartsWith('/'))
            throw new ConfigurationException($"telemetry.metricsPath: '{options.MetricsPath}' must start with '/'");
        if (options.OtlpProtocol is not ("http/protobuf" or "grpc"))
            throw new ConfigurationException($"telemetry.otlpProtocol: '{options.OtlpProtocol}' is not one of http/protobuf, grpc");
        if (options.MaxSeriesPerInstrument is < 100 or > 1_000_000)
            throw new ConfigurationException($"telemetry.maxSeriesPerInstrument: {options.MaxSeriesPerInstrument} is not between 100 and 1000000");
        if (!string.IsNullOrWhiteSpace(options.OtlpEndpoint) && !Uri.TryCreate(options.OtlpEndpoint, UriKind.Absolute, out _))
            throw new ConfigurationException($"telemetry.otlpEndpoint: '{options.OtlpEndpoint}' is not an absolute URL");
        services.AddMetrics();
        services.AddSingleton(options);
        services.AddSingleton<GatewayTelemetry>();
        KestrelRejections.Register(services);
        var otlp = OtlpConfigured(options);
        if (!options.PrometheusEnabled && !otlp) return;

        var telemetry = services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService("tokenops-gateway", serviceVersion: typeof(TelemetrySetup).Assembly.GetName().Version?.ToString()));
        telemetry.WithMetrics(m =>
        {
            m.AddMeter(GatewayTelemetry.Name);
            m.AddMeter(TokenOps.Storage.Journal.LedgerWriterMetrics.MeterName);
            // The runtime's own meter (GC, allocations, thread pool, exceptions): what an operator needs to size the
            // gateway, and what bench/ reads to report bytes allocated and collections per request.
            m.AddMeter("System.Runtime");
            // The SDK listens by meter name across the whole process, so a second gateway in the same process (tests,
            // or an app hosting two) would export this one's instruments too, and the extra series can push this
            // gateway's own past the cardinality limit. Keep only meters made by this container's factory (and the
            // unscoped static ones, such as the runtime's and the ledger writer's); give TokenOps' own instruments
            // room for an organisation's team × model × route combinations.
            ((IDeferredMeterProviderBuilder)m).Configure((services, builder) =>
            {
                var own = services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>();
                builder.AddView(instrument => instrument.Meter.Scope switch
                {
                    System.Diagnostics.Metrics.IMeterFactory scope when !ReferenceEquals(scope, own) => MetricStreamConfiguration.Drop,
                    _ when instrument.Meter.Name == GatewayTelemetry.Name => new MetricStreamConfiguration { CardinalityLimit = options.MaxSeriesPerInstrument },
                    _ => null,
                });
            });
            if (options.PrometheusEnabled)
                m.AddPrometheusExporter(p =>
                {
                    p.ScrapeEndpointPath = options.MetricsPath;
                    // Every scrape sees the counters as they are (the default caches for 300 ms).
                    p.ScrapeResponseCacheDurationMilliseconds = 0;
                });
            if (otlp)
                m.AddOtlpExporter((exporter, reader) =>
                {
                    Configure(exporter, options, "/v1/metrics");
                    if (options.OtlpExportIntervalMs is { } ms) reader.PeriodicExportingMetricReaderOptions.ExportIntervalMilliseconds = ms;
                });
        });
        if (otlp)
            telemetry.WithTracing(t => t
                .AddSource(GatewayTelemetry.Name)
                .AddOtlpExporter(exporter =>
                {
                    Configure(exporter, options, "/v1/traces");
                    if (options.OtlpExportIntervalMs is { } ms) exporter.BatchExportProcessorOptions.ScheduledDelayMilliseconds = ms;
                }));
    }

    /// <summary>Maps the Prometheus endpoint (when enabled), optionally behind a scrape token and/or the admin token.</summary>
    public static void MapGatewayTelemetry(this WebApplication app, TelemetryOptions options)
    {
        if (!options.PrometheusEnabled) return;
        var endpoint = app.MapPrometheusScrapingEndpoint(options.MetricsPath);
        // Constant-time checks against the tokens read from their environment variables (the same check as the admin API).
        var scrapeToken = string.IsNullOrWhiteSpace(options.MetricsTokenEnv) ? null : new AdminToken(options.MetricsTokenEnv);
        if (options.MetricsRequireAdminToken || scrapeToken is not null)
            endpoint.AddEndpointFilter(async (context, next) =>
            {
                var header = context.HttpContext.Request.Headers.Authorization.ToString();
                var presented = header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header[7..].Trim() : null;
                var admin = options.MetricsRequireAdminToken && context.HttpContext.RequestServices.GetRequiredService<AdminToken>().Matches(presented);
                var scrape = scrapeToken?.Matches(presented) == true;
                return admin || scrape ? await next(context) : Results.Unauthorized();
            });
    }

    public static bool OtlpConfigured(TelemetryOptions options) =>
        !string.IsNullOrWhiteSpace(options.OtlpEndpoint) || !string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable(OtlpEndpointVariable));

    private static void Configure(OtlpExporterOptions exporter, TelemetryOptions options, string signalPath)
    {
        var grpc = string.Equals(options.OtlpProtocol, "grpc", StringComparison.OrdinalIgnoreCase);
        if (string.IsNullOrWhiteSpace(options.OtlpEndpoint))
        {
            // The SDK reads the standard OTEL_EXPORTER_OTLP_* variables itself (and appends the signal path to the
            // variable's endpoint). Its own default protocol is gRPC; without OTEL_EXPORTER_OTLP_PROTOCOL, ours applies.
            if (string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable("OTEL_EXPORTER_OTLP_PROTOCOL")))
                exporter.Protocol = grpc ? OtlpExportProtocol.Grpc : OtlpExportProtocol.HttpProtobuf;
            return;
        }
        exporter.Protocol = grpc ? OtlpExportProtocol.Grpc : OtlpExportProtocol.HttpProtobuf;
        var baseUrl = options.OtlpEndpoint.TrimEnd('/');
        // A programmatic endpoint is used as given, so the HTTP signal path is appended here (as the SDK does for the variable).
        exporter.Endpoint = new Uri(grpc ? baseUrl : baseUrl + signalPath);
    }
}
