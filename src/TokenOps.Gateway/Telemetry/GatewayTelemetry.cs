using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;
using TokenOps.Core.Budgets;
using TokenOps.Core.Ledger;
using TokenOps.Core.Pricing;
using TokenOps.Core.Savings;
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
/// team, route, outcome, savings lever (six names); person names only with <see cref="TelemetryOptions.PersonLabels"/>.
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

    private static readonly string[] BucketNames = ["uncached_input", "cache_read", "cache_write_5m", "cache_write_1h", "output", "reasoning"];

    private readonly bool _personLabels;
    // Counters are aggregated here, one cell per label set, and read by observable counters at collection time: a
    // request costs one dictionary lookup and a few interlocked adds instead of one SDK measurement per counter and
    // bucket (about half the CPU, see bench/TokenOps.Bench.Telemetry).
    private readonly ConcurrentDictionary<CellKey, Cell> _cells = new();
    // Requests priced by the family fallback, by served model: a warning that some costs are estimates.
    private readonly ConcurrentDictionary<string, StrongBox<long>> _estimatedPrices = new(StringComparer.Ordinal);
    private readonly ObservableCounter<long> _requests;
    private readonly Histogram<double> _duration;
    private readonly Histogram<double> _timeToFirstToken;
    private readonly Histogram<long> _tokenUsage;
    // Savings per lever and team (and person when enabled): six levers times the teams, like the usage series.
    private readonly ConcurrentDictionary<SavingsKey, SavingsCell> _savings = new();
    // Response cache lookups by result (hit, semantic, miss) and team: the hit rate per team.
    private readonly ConcurrentDictionary<(string Result, string Team), StrongBox<long>> _cacheLookups = new();

    public GatewayTelemetry(IMeterFactory meters, TelemetryOptions options, IServiceProvider services)
    {
        _personLabels = options.PersonLabels;
        var meter = meters.Create(Name);
        _requests = meter.CreateObservableCounter("tokenops.requests", ObserveRequests, "{request}", "Requests settled by the gateway (one per ledger row)");
        meter.CreateObservableCounter("tokenops.tokens", ObserveTokens, "{token}",
            "Tokens by ledger bucket (tokenops.token.bucket: uncached_input, cache_read, cache_write_5m, cache_write_1h, output, reasoning; reasoning is a subset of output)");
        meter.CreateObservableCounter("tokenops.cost.nanodollars", () => ObserveUsage(c => Interlocked.Read(ref c.CostNanos)), null, "Cost in nano-USD (1e-9 USD), exactly as the ledger rounds it");
        meter.CreateObservableCounter("tokenops.prices.estimated",
            () => _estimatedPrices.Select(p => new Measurement<long>(Interlocked.Read(ref p.Value.Value), new KeyValuePair<string, object?>("gen_ai.response.model", p.Key))),
            "{request}", "Warning: requests priced at their model family's newest known sibling because the catalog has no price for the model (prices.familyFallback); run 'tokenops prices update' or add a price");
        meter.CreateObservableCounter("tokenops.cache.hits", () => ObserveUsage(c => Interlocked.Read(ref c.CacheHits)), "{request}", "Requests that read from the provider's prompt cache (cache_read tokens > 0)");
        // A lever can save a negative amount (a cache write without a read, a cascade's wasted attempt); counters only
        // grow, so the positive and negative parts are two counters: the ledger's saving is saved − lost.
        meter.CreateObservableCounter("tokenops.response_cache.lookups", ObserveCacheLookups, "{request}",
            "TokenOps response cache lookups by result (tokenops.cache.result: hit, semantic, miss) and team");
        meter.CreateObservableCounter("tokenops.savings.nanodollars", () => ObserveSavings(c => Interlocked.Read(ref c.SavedNanos)), null,
            "Estimated saving against the requests as asked, by lever (tokenops.savings.lever), in nano-USD: the positive parts of the ledger's saved_* columns");
        meter.CreateObservableCounter("tokenops.savings.lost.nanodollars", () => ObserveSavings(c => Interlocked.Read(ref c.LostNanos)), null,
            "What a lever cost beyond the request as asked, by lever, in nano-USD (the negative parts of the ledger's saved_* columns, as positive numbers)");
        meter.CreateObservableCounter("tokenops.savings.requests", () => ObserveSavings(c => Interlocked.Read(ref c.Requests)), "{request}",
            "Requests a lever applied to, by lever (a request can have several)");
        if (services.GetService(typeof(KestrelRejections)) is KestrelRejections rejections)
            meter.CreateObservableCounter("tokenops.http.rejected",
                () => rejections.ByStatus.Select(r => new Measurement<long>(r.Value, new KeyValuePair<string, object?>("http.response.status_code", r.Key))),
                "{request}", "Requests the HTTP server refused before the gateway saw them (431 headers too large, 400 malformed, 408 too slow); no ledger row");
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
        // Shared counters (Redis) only: the last reconciliation's ledger minus shared spend, by budget.
        meter.CreateObservableGauge("tokenops.budget.counter.drift.nanodollars", () =>
            services.GetService(typeof(Budgets.BudgetEngine)) is Budgets.BudgetEngine { Book.HasSharedCounters: true } engine
                ? engine.Book.CounterDrift
                    .Where(d => _personLabels || !d.Key.StartsWith("person:", StringComparison.Ordinal))
                    .Select(d => new Measurement<long>(d.Value, new KeyValuePair<string, object?>("tokenops.budget.id", d.Key)))
                : [], null, "Ledger minus shared (Redis) spend at the last reconciliation, in nano-USD; 0 when they agree");
    }

    /// <summary>
    /// A span for one proxied request, or null (no allocation) when nothing listens. Its parent is the caller's W3C
    /// traceparent, if any. A framework activity nobody exports (ASP.NET Core's, created for logging scopes) is not a
    /// parent: unsampled, it would make every gateway span unsampled under the usual parent-based sampler; sampled,
    /// it would leave the span pointing at a parent no backend ever receives.
    /// </summary>
    public static Activity? StartRequest(ProtocolRoute route, HttpContext http)
    {
        if (!Source.HasListeners()) return null;
        var current = Activity.Current;
        ActivityContext parent = default;
        if (current is null || !current.Source.HasListeners())
        {
            var headers = http.Request.Headers;
            if (headers.TryGetValue("traceparent", out var traceparent))
                ActivityContext.TryParse(traceparent.ToString(), headers.TryGetValue("tracestate", out var state) ? state.ToString() : null, isRemote: true, out parent);
            if (current is not null) Activity.Current = null;
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
        if (_requests.Enabled)
        {
            var key = new CellKey(e.Route, operation, e.Provider ?? "none", e.ServedModel ?? "none", e.Team ?? "none", e.Outcome,
                StatusClass(e.Status), _personLabels ? e.Person ?? "none" : null);
            var cell = _cells.GetOrAdd(key, static _ => new Cell());
            var u = e.Usage;
            Interlocked.Increment(ref cell.Requests);
            if (e.Levers is not null || !e.Savings.IsZero) RecordSavings(e);
            if (u.Total > 0)
            {
                Add(ref cell.Tokens[0], u.UncachedInput);
                Add(ref cell.Tokens[1], u.CacheRead);
                Add(ref cell.Tokens[2], u.CacheWrite5m);
                Add(ref cell.Tokens[3], u.CacheWrite1h);
                Add(ref cell.Tokens[4], u.Output);
                Add(ref cell.Tokens[5], u.Reasoning);
            }
            Add(ref cell.CostNanos, e.CostNanos);
            if (u.CacheRead > 0) Interlocked.Increment(ref cell.CacheHits);
        }
        if (e.PriceEstimated)
            Interlocked.Increment(ref _estimatedPrices.GetOrAdd(e.ServedModel ?? "none", static _ => new StrongBox<long>()).Value);
        if (_duration.Enabled || _timeToFirstToken.Enabled || _tokenUsage.Enabled) RecordHistograms(e, operation);
        if (activity is not null) Annotate(activity, e, operation);
    }

    /// <summary>One response cache lookup: "hit", "semantic" or "miss" (a bypassed or uncacheable request looks nothing up).</summary>
    public void RecordCacheLookup(string? team, string result) =>
        Interlocked.Increment(ref _cacheLookups.GetOrAdd((result, team ?? "none"), static _ => new StrongBox<long>()).Value);

    private IEnumerable<Measurement<long>> ObserveCacheLookups()
    {
        foreach (var ((result, team), count) in _cacheLookups)
            yield return new Measurement<long>(Interlocked.Read(ref count.Value), new TagList { { "tokenops.cache.result", result }, { "tokenops.team", team } });
    }

    /// <summary>Per lever: the request counts when the lever applied, its saving goes to saved or lost by sign.</summary>
    private void RecordSavings(LedgerEntry e)
    {
        var team = e.Team ?? "none";
        var person = _personLabels ? e.Person ?? "none" : null;
        foreach (var lever in SavingsLevers.All)
        {
            var nanos = e.Savings.NanosOf(lever);
            var applied = SavingsLevers.Applies(e.Levers, lever);
            if (nanos == 0 && !applied) continue;
            var cell = _savings.GetOrAdd(new SavingsKey(lever, team, person), static _ => new SavingsCell());
            if (applied) Interlocked.Increment(ref cell.Requests);
            if (nanos > 0) Interlocked.Add(ref cell.SavedNanos, nanos);
            else if (nanos < 0) Interlocked.Add(ref cell.LostNanos, -nanos);
        }
    }

    private IEnumerable<Measurement<long>> ObserveSavings(Func<SavingsCell, long> value)
    {
        foreach (var (k, cell) in _savings)
        {
            var total = value(cell);
            if (total == 0) continue;
            var tags = new TagList { { "tokenops.savings.lever", k.Lever }, { "tokenops.team", k.Team } };
            if (k.Person is not null) tags.Add("tokenops.person", k.Person);
            yield return new Measurement<long>(total, tags);
        }
    }

    private static void Add(ref long total, long value)
    {
        if (value != 0) Interlocked.Add(ref total, value);
    }

    private void RecordHistograms(LedgerEntry e, string operation)
    {
        var tags = new TagList
        {
            { "gen_ai.operation.name", operation },
            { "gen_ai.provider.name", e.Provider ?? "none" },
            { "gen_ai.response.model", e.ServedModel ?? "none" },
            { "tokenops.team", e.Team ?? "none" },
        };
        if (_personLabels) tags.Add("tokenops.person", e.Person ?? "none");
        var u = e.Usage;
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
        timing.Add("tokenops.outcome", e.Outcome.Name());
        if (e.Outcome != LedgerOutcome.Ok) timing.Add("error.type", e.ErrorCode ?? "error");
        _duration.Record(e.LatencyMs / 1000.0, timing);
        if (e.TimeToFirstTokenMs is { } ttft) _timeToFirstToken.Record(ttft / 1000.0, timing);
    }

    private IEnumerable<Measurement<long>> ObserveRequests()
    {
        foreach (var (k, cell) in _cells)
        {
            var tags = new TagList
            {
                { "tokenops.route", k.Route },
                { "gen_ai.operation.name", k.Operation },
                { "gen_ai.provider.name", k.Provider },
                { "gen_ai.response.model", k.Model },
                { "tokenops.team", k.Team },
                { "tokenops.outcome", k.Outcome.Name() },
                { "tokenops.status_class", k.StatusClass },
            };
            if (k.Person is not null) tags.Add("tokenops.person", k.Person);
            yield return new Measurement<long>(Interlocked.Read(ref cell.Requests), tags);
        }
    }

    /// <summary>Usage series carry the common labels only: cells that differ by route, outcome or status are summed.</summary>
    private IEnumerable<(UsageKey Key, List<Cell> Cells)> UsageGroups() =>
        _cells.GroupBy(p => new UsageKey(p.Key.Operation, p.Key.Provider, p.Key.Model, p.Key.Team, p.Key.Person), p => p.Value)
            .Select(g => (g.Key, g.ToList()));

    private static TagList UsageTags(UsageKey k)
    {
        var tags = new TagList
        {
            { "gen_ai.operation.name", k.Operation },
            { "gen_ai.provider.name", k.Provider },
            { "gen_ai.response.model", k.Model },
            { "tokenops.team", k.Team },
        };
        if (k.Person is not null) tags.Add("tokenops.person", k.Person);
        return tags;
    }

    private IEnumerable<Measurement<long>> ObserveUsage(Func<Cell, long> value)
    {
        foreach (var (key, cells) in UsageGroups())
        {
            var total = cells.Sum(value);
            // Counters only grow, so a series that is zero has never been anything else: leaving it out loses nothing.
            if (total != 0) yield return new Measurement<long>(total, UsageTags(key));
        }
    }

    private IEnumerable<Measurement<long>> ObserveTokens()
    {
        foreach (var (key, cells) in UsageGroups())
        {
            for (var b = 0; b < BucketNames.Length; b++)
            {
                var total = cells.Sum(c => Interlocked.Read(ref c.Tokens[b]));
                if (total == 0) continue;
                var tags = UsageTags(key);
                tags.Add("tokenops.token.bucket", BucketNames[b]);
                yield return new Measurement<long>(total, tags);
            }
        }
    }

    private readonly record struct CellKey(string Route, string Operation, string Provider, string Model, string Team, LedgerOutcome Outcome, string StatusClass, string? Person);

    private readonly record struct SavingsKey(string Lever, string Team, string? Person);

    private sealed class SavingsCell
    {
        public long Requests;
        public long SavedNanos;
        public long LostNanos;
    }

    private readonly record struct UsageKey(string Operation, string Provider, string Model, string Team, string? Person);

    private sealed class Cell
    {
        public long Requests;
        public readonly long[] Tokens = new long[6];
        public long CostNanos;
        public long CacheHits;
    }

    private void Annotate(Activity a, LedgerEntry e, string operation)
    {
        // GenAI convention: "{gen_ai.operation.name} {gen_ai.request.model}".
        var model = e.RequestedModel ?? e.ServedModel;
        a.DisplayName = model is null ? operation : $"{operation} {model}";
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
        a.SetTag("tokenops.outcome", e.Outcome.Name());
        a.SetTag("http.response.status_code", e.Status);
        if (e.TimeToFirstTokenMs is { } ttft) a.SetTag("gen_ai.server.time_to_first_token", ttft / 1000.0);
        if (e.Outcome != LedgerOutcome.Ok)
        {
            a.SetTag("error.type", e.ErrorCode ?? e.Outcome.Name());
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
