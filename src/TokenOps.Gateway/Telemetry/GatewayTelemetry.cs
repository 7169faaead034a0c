using System.Diagnostics;
using System.Diagnostics.Metrics;
using TokenOps.Core.Budgets;
using TokenOps.Core.Ledger;
using TokenOps.Core.Pricing;
using TokenOps.Gateway.Configuration;
using TokenOps.Gateway.Protocols;

namespace TokenOps.Gateway.Telemetry;

/// <summary>
/// Metrics (Meter "TokenOps.Gateway") and spans (ActivitySource "TokenOps.Gateway") for every settled request,
/// following the OpenTelemetry GenAI semantic conventions where they have a name, with tokenops.* for the rest.
/// Recorded from one place, <see cref="Record"/>, called by the settle stage once the ledger row exists, so metrics
/// and the ledger agree by construction. With no listener (no Prometheus, no OTLP) every instrument is disabled and
/// a call costs a few flag checks; spans are only created when something listens to the source.
/// Label cardinality is bounded: routed model names (never the raw requested name of a refused request), provider,
/// team, route, outcome; person names only with <see cref="TelemetryOptions.PersonLabels"/>.
/// </summary>
public sealed class GatewayTelemetry
{
    public const string Name = "TokenOps.Gateway";

    /// <summary>Process-wide, like every ActivitySource; listeners choose it by name.</summary>
    public static readonly ActivitySource Source = new(Name);

    private static readonly double[] DurationBuckets =
        [0.001, 0.0025, 0.005, 0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92];
    private static readonly double[] TimeToFirstTokenBuckets =
        [0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0];
    private static readonly long[] TokenBuckets =
        [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864];

    private readonly bool _personLabels;
    private readonly Counter<long> _requests;
    private readonly Counter<long> _tokens;
    private readonly Counter<long> _costNanos;
    private readonly Counter<long> _cacheHits;
    private readonly Histogram<double> _duration;
    private readonly Histogram<double> _timeToFirstToken;
    private readonly Histogram<long> _tokenUsage;

    public GatewayTelemetry(IMeterFactory meters, TelemetryOptions options, IServiceProvider services)
    {
        _personLabels = options.PersonLabels;
        var meter = meters.Create(Name);
        _requests = meter.CreateCounter<long>("tokenops.requests", "{request}", "Requests settled by the gateway (one per ledger row)");
        _tokens = meter.CreateCounter<long>("tokenops.tokens", "{token}",
            "Tokens by ledger bucket (tokenops.token.bucket: uncached_input, cache_read, cache_write_5m, cache_write_1h, output, reasoning; reasoning is a subset of output)");
        _costNanos = meter.CreateCounter<long>("tokenops.cost.nanodollars", null, "Cost in nano-USD (1e-9 USD), exactly as the ledger rounds it");
        _cacheHits = meter.CreateCounter<long>("tokenops.cache.hits", "{request}", "Requests that read from the provider's prompt cache (cache_read tokens > 0)");
        _duration = meter.CreateHistogram("gen_ai.client.operation.duration", "s", "Duration of the GenAI operation as seen by the gateway",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = DurationBuckets });
        _timeToFirstToken = meter.CreateHistogram("gen_ai.server.time_to_first_token", "s", "Time to the first response byte or token",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = TimeToFirstTokenBuckets });
        _tokenUsage = meter.CreateHistogram("gen_ai.client.token.usage", "{token}", "Input and output tokens per request",
            advice: new InstrumentAdvice<long> { HistogramBucketBoundaries = TokenBuckets });

        // Budgets come from the enforcement engine when one is registered; without it the gauges report nothing.
        IEnumerable<Measurement<double>> Budgets(Func<BudgetSnapshot, decimal> value)
        {
            if (services.GetService(typeof(IBudgetSnapshots)) is not IBudgetSnapshots snapshots) return [];
            return snapshots.Current()
                .Where(b => _personLabels || b.Level != BudgetLevel.Person)
                .Select(b => new Measurement<double>((double)value(b),
                    new KeyValuePair<string, object?>("tokenops.budget.level", b.Level.ToString().ToLowerInvariant()),
                    new KeyValuePair<string, object?>("tokenops.budget.name", b.Name)));
        }
        meter.CreateObservableGauge("tokenops.budget.remaining.usd", () => Budgets(b => b.Remaining), null, "Budget left in the current period: limit - spent - reserved");
        meter.CreateObservableGauge("tokenops.budget.reserved.usd", () => Budgets(b => b.Reserved), null, "Reservations outstanding: USD held for requests in flight");
        meter.CreateObservableGauge("tokenops.budget.limit.usd", () => Budgets(b => b.Limit), null, "Budget limit in the current period, rollover and allowances included");
        meter.CreateObservableGauge("tokenops.budget.spent.usd", () => Budgets(b => b.Spent), null, "Spent in the current period");
    }

    /// <summary>
    /// A span for one proxied request, or null (no allocation) when nothing listens. Its parent is the caller's W3C
    /// traceparent, if any. An unrecorded framework activity (ASP.NET Core's, created for logging scopes) is not a
    /// parent: under the usual parent-based sampler it would make every gateway span unsampled.
    /// </summary>
    public static Activity? StartRequest(ProtocolRoute route, HttpContext http)
    {
        if (!Source.HasListeners()) return null;
        var current = Activity.Current;
        ActivityContext parent = default;
        // ASP.NET Core may create its request activity without any listener (for logging scopes), copying the caller's
        // sampled flag: recorded, yet exported by nobody. Only an activity whose source someone listens to is a parent.
        if (current is not null && !(current.Recorded && current.Source.HasListeners()))
        {
            var headers = http.Request.Headers;
            if (headers.TryGetValue("traceparent", out var traceparent))
                ActivityContext.TryParse(traceparent.ToString(), headers.TryGetValue("tracestate", out var state) ? state.ToString() : null, isRemote: true, out parent);
            Activity.Current = null;
        }
        var activity = Source.StartActivity(OperationName(route.Name), ActivityKind.Client, parent);
        if (activity is null) Activity.Current = current;
        activity?.SetTag("gen_ai.operation.name", OperationName(route.Name));
        activity?.SetTag("tokenops.route", route.Name);
        return activity;
    }

    /// <summary>Records one settled request: metrics, and the GenAI attributes on its span if it has one.</summary>
    public void Record(LedgerEntry e, Activity? activity)
    {
        var operation = OperationName(e.Route);
        var model = e.ServedModel ?? "none";
        var provider = e.Provider ?? "none";
        var team = e.Team ?? "none";
        if (_requests.Enabled)
        {
            var tags = new TagList
            {
                { "tokenops.route", e.Route },
                { "gen_ai.operation.name", operation },
                { "gen_ai.provider.name", provider },
                { "gen_ai.response.model", model },
                { "tokenops.team", team },
                { "tokenops.outcome", e.Outcome.ToString() },
                { "tokenops.status_class", StatusClass(e.Status) },
            };
            if (_personLabels) tags.Add("tokenops.person", e.Person ?? "none");
            _requests.Add(1, tags);
        }
        if (_tokens.Enabled || _costNanos.Enabled || _cacheHits.Enabled || _tokenUsage.Enabled || _duration.Enabled || _timeToFirstToken.Enabled)
            RecordUsage(e, operation, provider, model, team);
        if (activity is not null) Annotate(activity, e, operation);
    }

    private void RecordUsage(LedgerEntry e, string operation, string provider, string model, string team)
    {
        var tags = new TagList
        {
            { "gen_ai.operation.name", operation },
            { "gen_ai.provider.name", provider },
            { "gen_ai.response.model", model },
            { "tokenops.team", team },
        };
        if (_personLabels) tags.Add("tokenops.person", e.Person ?? "none");
        var u = e.Usage;
        if (_tokens.Enabled && u.Total > 0)
        {
            AddTokens(tags, "uncached_input", u.UncachedInput);
            AddTokens(tags, "cache_read", u.CacheRead);
            AddTokens(tags, "cache_write_5m", u.CacheWrite5m);
            AddTokens(tags, "cache_write_1h", u.CacheWrite1h);
            AddTokens(tags, "output", u.Output);
            AddTokens(tags, "reasoning", u.Reasoning);
        }
        if (e.CostNanos != 0) _costNanos.Add(e.CostNanos, tags);
        if (u.CacheRead > 0) _cacheHits.Add(1, tags);
        if (u.Total > 0 && _tokenUsage.Enabled)
        {
            var input = tags;
            input.Add("gen_ai.token.type", "input");
            _tokenUsage.Record(u.TotalInput, input);
            var output = tags;
            output.Add("gen_ai.token.type", "output");
            _tokenUsage.Record(u.Output, output);
        }
        var timing = tags;
        timing.Add("tokenops.outcome", e.Outcome.ToString());
        if (e.Outcome != LedgerOutcome.Ok) timing.Add("error.type", e.ErrorCode ?? "error");
        _duration.Record(e.LatencyMs / 1000.0, timing);
        if (e.TimeToFirstTokenMs is { } ttft) _timeToFirstToken.Record(ttft / 1000.0, timing);
    }

    private void AddTokens(TagList tags, string bucket, long count)
    {
        if (count == 0) return;
        tags.Add("tokenops.token.bucket", bucket);
        _tokens.Add(count, tags);
    }

    private void Annotate(Activity a, LedgerEntry e, string operation)
    {
        a.DisplayName = e.ServedModel is null ? operation : $"{operation} {e.ServedModel}";
        a.SetTag("gen_ai.operation.name", operation);
        if (e.Provider is not null)
        {
            a.SetTag("gen_ai.provider.name", e.Provider);
            a.SetTag("gen_ai.system", e.Provider);
        }
        if (e.RequestedModel is not null) a.SetTag("gen_ai.request.model", e.RequestedModel);
        if (e.ServedModel is not null) a.SetTag("gen_ai.response.model", e.ServedModel);
        if (e.ProviderRequestId is not null) a.SetTag("gen_ai.response.id", e.ProviderRequestId);
        var u = e.Usage;
        a.SetTag("gen_ai.usage.input_tokens", u.TotalInput);
        a.SetTag("gen_ai.usage.output_tokens", u.Output);
        a.SetTag("gen_ai.usage.cache_read.input_tokens", u.CacheRead);
        a.SetTag("gen_ai.usage.cache_creation.input_tokens", u.CacheWrite5m + u.CacheWrite1h);
        a.SetTag("gen_ai.usage.reasoning.output_tokens", u.Reasoning);
        a.SetTag("tokenops.event_id", e.Id);
        a.SetTag("tokenops.route", e.Route);
        a.SetTag("tokenops.team", e.Team);
        if (_personLabels) a.SetTag("tokenops.person", e.Person);
        a.SetTag("tokenops.project", e.Project);
        a.SetTag("tokenops.feature", e.Feature);
        a.SetTag("tokenops.cost.usd", (double)NanoUsd.ToUsd(e.CostNanos));
        a.SetTag("tokenops.cost.nanodollars", e.CostNanos);
        a.SetTag("tokenops.estimated", e.Estimated);
        a.SetTag("tokenops.outcome", e.Outcome.ToString());
        a.SetTag("http.response.status_code", e.Status);
        if (e.TimeToFirstTokenMs is { } ttft) a.SetTag("gen_ai.server.time_to_first_token", ttft / 1000.0);
        if (e.Outcome != LedgerOutcome.Ok)
        {
            a.SetTag("error.type", e.ErrorCode ?? e.Outcome.ToString());
            a.SetStatus(ActivityStatusCode.Error, e.ErrorCode);
        }
    }

    public static string OperationName(string route) => route switch
    {
        "openai.embeddings" => "embeddings",
        "gateway.models" => "list_models",
        _ => "chat",
    };

    private static string StatusClass(int status) => status switch
    {
        < 200 => "1xx",
        < 300 => "2xx",
        < 400 => "3xx",
        < 500 => "4xx",
        _ => "5xx",
    };
}
