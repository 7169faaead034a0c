namespace TokenOps.Gateway.Configuration;

/// <summary>
/// Metrics and traces (tokenops.json "telemetry"). Prometheus scraping is on by default and costs almost nothing
/// until scraped; OTLP export is off unless an endpoint is configured here or in OTEL_EXPORTER_OTLP_ENDPOINT.
/// </summary>
public sealed class TelemetryOptions
{
    /// <summary>Serve Prometheus text exposition on <see cref="MetricsPath"/>.</summary>
    public bool PrometheusEnabled { get; set; } = true;

    public string MetricsPath { get; set; } = "/metrics";

    /// <summary>Require the admin bearer token on <see cref="MetricsPath"/> (default: open, like most Prometheus targets; bind to loopback or a private network).</summary>
    public bool MetricsRequireAdminToken { get; set; }

    /// <summary>
    /// Environment variable holding a scrape token: when set, <see cref="MetricsPath"/> needs <c>Authorization: Bearer &lt;token&gt;</c>
    /// (the admin token is accepted too when <see cref="MetricsRequireAdminToken"/> is on), else 401.
    /// </summary>
    public string? MetricsTokenEnv { get; set; }

    /// <summary>Label metrics and spans with the person's name. Off by default: person names never leave the ledger unless asked.</summary>
    public bool PersonLabels { get; set; }

    /// <summary>
    /// Series kept per TokenOps instrument (OpenTelemetry's cardinality limit, 2,000 by default there). Labels are team ×
    /// model × route × outcome, and person too with <see cref="PersonLabels"/>; past the limit new combinations are summed
    /// into one <c>otel_metric_overflow="true"</c> series.
    /// </summary>
    public int MaxSeriesPerInstrument { get; set; } = 20_000;

    /// <summary>OTLP base endpoint (e.g. http://collector:4318). Unset: the standard OTEL_EXPORTER_OTLP_ENDPOINT, if any, is used.</summary>
    public string? OtlpEndpoint { get; set; }

    /// <summary>"http/protobuf" (default; /v1/traces and /v1/metrics are appended to the endpoint) or "grpc".</summary>
    public string OtlpProtocol { get; set; } = "http/protobuf";

    /// <summary>How often OTLP metrics are pushed and traces batched, in milliseconds (OpenTelemetry defaults when unset: 60 s and 5 s).</summary>
    public int? OtlpExportIntervalMs { get; set; }
}
