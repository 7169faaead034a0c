using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Net;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Trace;
using TokenOps.Core.Budgets;
using TokenOps.Core.Ledger;
using TokenOps.Gateway.Configuration;
using TokenOps.Gateway.Telemetry;
using TokenOps.Gateway.Tests.Infrastructure;

namespace TokenOps.Gateway.Tests.Telemetry;

/// <summary>/metrics agrees with the ledger; spans carry the GenAI attributes; names and auth are as documented.</summary>
[Collection(MetricsCollection.Name)]
public sealed class MetricsTests
{
    private static readonly string LongPrompt = string.Join(' ', Enumerable.Repeat("ledger budget token", 700));

    /// <summary>A mix of routes, streaming, a prompt-cache hit, a reasoning model and a refusal, sent with a team of its own.</summary>
    internal static async Task<string> SendMixAsync(GatewayFixture gateway, string team, string person = "ada")
    {
        using var http = gateway.Client(gateway.CreateKey(person, team));
        async Task Post(string path, string body, string? header = null)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
            if (header is not null) request.Headers.Add("anthropic-version", header);
            using var response = await http.SendAsync(request);
            await response.Content.ReadAsStringAsync();
        }
        await Post("/v1/chat/completions", """{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hello"}]}""");
        // The long prompt twice: the simulated provider caches it the first time and reads it the second.
        await Post("/v1/chat/completions", $$"""{"model":"gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"{{LongPrompt}}"}]}""");
        await Post("/v1/chat/completions", $$"""{"model":"gpt-4o-mini","messages":[{"role":"user","content":"{{LongPrompt}}"}]}""");
        await Post("/v1/chat/completions", """{"model":"o4-mini","messages":[{"role":"user","content":"think"}]}""");
        await Post("/v1/messages", """{"model":"claude-haiku-4-5","max_tokens":64,"messages":[{"role":"user","content":"hi"}]}""", "2023-06-01");
        await Post("/v1/embeddings", """{"model":"text-embedding-3-small","input":"embed me"}""");
        await Post("/v1/chat/completions", "{not json");
        return team;
    }

    private static async Task<List<PrometheusSample>> ScrapeAsync(GatewayFixture gateway, string? token = null)
    {
        using var http = gateway.Client(token);
        using var response = await http.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return PrometheusSample.Parse(await response.Content.ReadAsStringAsync());
    }

    /// <summary>
    /// Scrapes until every request of <paramref name="team"/> is counted and timed (bounded): the ledger row can reach
    /// SQLite a moment before the settle stage's telemetry call returns.
    /// </summary>
    private static async Task<List<PrometheusSample>> ScrapeTeamAsync(GatewayFixture gateway, string team, int requests)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            var samples = (await ScrapeAsync(gateway)).Where(s => s["tokenops_team"] == team).ToList();
            var counted = samples.Where(s => s.Name == "tokenops_requests_total").Sum(s => s.Value);
            var timed = samples.Where(s => s.Name == "gen_ai_client_operation_duration_seconds_count").Sum(s => s.Value);
            if ((counted >= requests && timed >= requests) || DateTime.UtcNow > deadline) return samples;
            await Task.Delay(20);
        }
    }

    /// <summary>Waits (bounded) for the spans matching <paramref name="match"/>: a span ends just after its ledger row is written.</summary>
    private static async Task<List<Activity>> SpansAsync(List<Activity> spans, Func<Activity, bool> match, int count)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            List<Activity> found;
            // The exporter appends from request threads; a snapshot taken mid-append is simply retried.
            try { found = spans.ToArray().Where(a => a is not null && match(a)).ToList(); }
            catch (Exception ex) when (ex is ArgumentException or InvalidOperationException) { found = []; }
            if (found.Count >= count || DateTime.UtcNow > deadline) return found;
            await Task.Delay(20);
        }
    }

    [Fact]
    public async Task Metrics_EqualTheLedger_RequestsTokensPerBucketCostCacheHitsAndHistograms()
    {
        await using var gateway = await GatewayFixture.StartAsync();
        var team = await SendMixAsync(gateway, "metrics-" + Guid.NewGuid().ToString("N")[..8]);
        var rows = (await gateway.LedgerAsync(7)).Where(r => r.Team == team).ToList();
        Assert.Equal(7, rows.Count);
        Assert.Contains(rows, r => r.Usage.CacheRead > 0);
        Assert.Contains(rows, r => r.Usage.Reasoning > 0);
        Assert.Contains(rows, r => r.Outcome == LedgerOutcome.Refused);

        var samples = await ScrapeTeamAsync(gateway, team, rows.Count);
        double Sum(string name, Func<PrometheusSample, bool>? where = null) => samples.Where(s => s.Name == name && (where is null || where(s))).Sum(s => s.Value);

        Assert.Equal(rows.Count, Sum("tokenops_requests_total"));
        Assert.Equal(rows.Count(r => r.Outcome == LedgerOutcome.Refused), Sum("tokenops_requests_total", s => s["tokenops_outcome"] == "Refused" && s["tokenops_status_class"] == "4xx"));
        Assert.Equal(rows.Count(r => r.Route == "openai.embeddings"), Sum("tokenops_requests_total", s => s["gen_ai_operation_name"] == "embeddings"));
        foreach (var (bucket, tokens) in new (string, Func<LedgerEntry, long>)[]
                 {
                     ("uncached_input", r => r.Usage.UncachedInput), ("cache_read", r => r.Usage.CacheRead),
                     ("cache_write_5m", r => r.Usage.CacheWrite5m), ("cache_write_1h", r => r.Usage.CacheWrite1h),
                     ("output", r => r.Usage.Output), ("reasoning", r => r.Usage.Reasoning),
                 })
            Assert.True(rows.Sum(tokens) == (long)Sum("tokenops_tokens_total", s => s["tokenops_token_bucket"] == bucket), $"bucket {bucket}");
        Assert.True(rows.Sum(r => r.CostNanos) > 0);
        Assert.Equal(rows.Sum(r => r.CostNanos), (long)Sum("tokenops_cost_nanodollars_total"));
        Assert.Equal(rows.Count(r => r.Usage.CacheRead > 0), Sum("tokenops_cache_hits_total"));
        Assert.Equal(rows.Count, Sum("gen_ai_client_operation_duration_seconds_count"));
        Assert.Equal(rows.Count(r => r.TimeToFirstTokenMs is not null), Sum("gen_ai_server_time_to_first_token_seconds_count"));
        Assert.True(Sum("gen_ai_server_time_to_first_token_seconds_count") >= 1);
        Assert.Equal(rows.Sum(r => r.Usage.TotalInput), Sum("gen_ai_client_token_usage_sum", s => s["gen_ai_token_type"] == "input"));
        Assert.Equal(rows.Sum(r => r.Usage.Output), Sum("gen_ai_client_token_usage_sum", s => s["gen_ai_token_type"] == "output"));
        // Histogram buckets are cumulative: the +Inf bucket holds every observation.
        Assert.Equal(rows.Count, Sum("gen_ai_client_operation_duration_seconds_bucket", s => s["le"] == "+Inf"));
        Assert.Contains(samples, s => s.Name == "tokenops_requests_total" && s["gen_ai_response_model"] == "claude-haiku-4-5" && s["gen_ai_provider_name"] == GatewayHost.SimulatedAnthropic);
        // The runtime's own meter is exported beside ours (allocations, collections: what bench/ reads per request).
        using (var http = gateway.Client())
        {
            var text = await http.GetStringAsync("/metrics");
            Assert.Matches(@"(?m)^dotnet_gc_heap_total_allocated_bytes_total(\{[^}]*\})? [1-9]", text);
        }
        // The refused request's model is unknown: it is labelled "none", so clients cannot mint label values.
        Assert.Contains(samples, s => s.Name == "tokenops_requests_total" && s["gen_ai_response_model"] == "none");
    }

    [Fact]
    public async Task SavingsMetrics_ByLeverAndTeam_EqualTheLedgersSavedColumns()
    {
        await using var gateway = await GatewayFixture.StartAsync(o => o.Budgets.Tiers["junior"] = new TierOptions
        {
            People = ["gus"],
            Stipend = new BudgetOptions { LimitUsd = 0.000001m, Period = "daily", Mode = "soft", SoftAction = "degrade" },
            DegradeModels = { ["openai"] = "gpt-4o-mini", ["anthropic"] = "claude-haiku-4-5" },
        });
        var team = "savings-" + Guid.NewGuid().ToString("N")[..8];
        using var http = gateway.Client(gateway.CreateKey("gus", team));
        for (var i = 0; i < 3; i++)
        {
            using var response = await http.SendAsync(Budgets.BudgetRequests.Chat(model: "gpt-4o", stream: i == 1));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
        var rows = (await gateway.LedgerAsync(3)).Where(r => r.Team == team).ToList();
        Assert.Equal(3, rows.Count);
        Assert.All(rows, r => Assert.Equal("degraded", r.Levers));

        // A row with a lever that lost money and one that saved, recorded through the same call the settle stage makes.
        var other = team + "-b";
        var telemetry = gateway.App.Services.GetRequiredService<GatewayTelemetry>();
        var synthetic = rows[0] with
        {
            Id = "evt_synthetic_savings", Team = other, Levers = "routed,capped,cache-breakpoint",
            Savings = new TokenOps.Core.Savings.SavingsBreakdown { Routed = -0.000123456m, CacheBreakpoint = 0.000002m },
        };
        telemetry.Record(synthetic, null);

        var samples = await ScrapeTeamAsync(gateway, team, rows.Count);
        double Sum(string name, string lever, string t) => samples.Where(s => s.Name == name && s["tokenops_savings_lever"] == lever && s["tokenops_team"] == t).Sum(s => s.Value);
        var degraded = rows.Sum(r => r.Savings.NanosOf(TokenOps.Core.Savings.SavingsLevers.Degraded));
        Assert.True(degraded > 0);
        Assert.Equal(degraded, (long)Sum("tokenops_savings_nanodollars_total", "degraded", team));
        Assert.Equal(rows.Count, Sum("tokenops_savings_requests_total", "degraded", team));
        Assert.Equal(0, Sum("tokenops_savings_lost_nanodollars_total", "degraded", team));

        samples = (await ScrapeAsync(gateway)).Where(s => s["tokenops_team"] == other).ToList();
        Assert.Equal(123_456, Sum("tokenops_savings_lost_nanodollars_total", "routed", other));
        Assert.Equal(0, Sum("tokenops_savings_nanodollars_total", "routed", other));
        Assert.Equal(2_000, Sum("tokenops_savings_nanodollars_total", "cache-breakpoint", other));
        // Caps applied and saved nothing: counted as requests, no dollar series.
        Assert.Equal(1, Sum("tokenops_savings_requests_total", "capped", other));
        Assert.DoesNotContain(samples, s => s.Name == "tokenops_savings_nanodollars_total" && s["tokenops_savings_lever"] == "capped");
        // Levers that did not apply leave no series: the label set stays the six levers times the teams seen.
        Assert.DoesNotContain(samples, s => s.Name.StartsWith("tokenops_savings_", StringComparison.Ordinal) && s["tokenops_savings_lever"] is "batch" or "cache-hit" or "degraded");
    }

    [Fact]
    public async Task TwoGatewaysInOneProcess_EachExportsOnlyItsOwnInstruments()
    {
        // The SDK subscribes by meter name process-wide; without the scope filter, gateway A would also export B's
        // histogram series (and count them against its own cardinality limit).
        await using var a = await GatewayFixture.StartAsync();
        await using var b = await GatewayFixture.StartAsync();
        var teamA = await SendMixAsync(a, "scope-a-" + Guid.NewGuid().ToString("N")[..6]);
        var teamB = await SendMixAsync(b, "scope-b-" + Guid.NewGuid().ToString("N")[..6]);
        await a.LedgerAsync(7);
        await b.LedgerAsync(7);
        var inB = await ScrapeTeamAsync(b, teamB, 7);
        Assert.Equal(7, inB.Where(s => s.Name == "gen_ai_client_operation_duration_seconds_count").Sum(s => s.Value));
        using var httpA = a.Client();
        var textA = await httpA.GetStringAsync("/metrics");
        Assert.Contains(teamA, textA);
        Assert.DoesNotContain(teamB, textA);
    }

    [Theory]
    [InlineData(null)]  // the default keeps every team of an organisation
    [InlineData(100)]   // a limit below the teams in use: the rest are summed into the overflow series
    public async Task SeriesPerInstrument_KeepEveryTeamUpToTheConfiguredLimit(int? limit)
    {
        await using var gateway = await GatewayFixture.StartAsync(o =>
        {
            if (limit is { } l) o.Telemetry.MaxSeriesPerInstrument = l;
        });
        const int teams = 130; // OpenTelemetry's own default (2,000) holds these too; 100 does not
        var tag = Guid.NewGuid().ToString("N")[..6];
        for (var t = 0; t < teams; t++)
        {
            using var http = gateway.Client(gateway.CreateKey("p" + t, $"t{t:D3}-{tag}"));
            using var response = await http.PostAsync("/v1/chat/completions",
                new StringContent("""{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}""", Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
        await gateway.LedgerAsync(teams);
        var samples = await ScrapeAsync(gateway);
        var requestTeams = samples.Where(s => s.Name == "tokenops_requests_total" && s["tokenops_team"]?.EndsWith(tag, StringComparison.Ordinal) == true)
            .Select(s => s["tokenops_team"]).Distinct().Count();
        var timed = samples.Where(s => s.Name == "gen_ai_client_operation_duration_seconds_count").ToList();
        var timedTeams = timed.Count(s => s["tokenops_team"]?.EndsWith(tag, StringComparison.Ordinal) == true);
        // Every request is counted somewhere, a named series or the overflow one.
        Assert.Equal(teams, samples.Where(s => s.Name == "tokenops_requests_total").Sum(s => s.Value));
        if (limit is null)
        {
            Assert.Equal((teams, teams), (requestTeams, timedTeams));
            Assert.DoesNotContain(samples, s => s["otel_metric_overflow"] == "true");
            // The view that raises the limit keeps the instrument's own bucket boundaries (20 ms is one of them).
            Assert.Contains(samples, s => s.Name == "gen_ai_client_operation_duration_seconds_bucket" && s["le"] == "0.02");
        }
        else
        {
            Assert.True(requestTeams < teams && timedTeams < teams, $"{requestTeams} and {timedTeams} of {teams} teams kept under a limit of {limit}");
            Assert.Contains(samples, s => s.Name == "tokenops_requests_total" && s["otel_metric_overflow"] == "true");
        }
    }

    [Fact]
    public async Task Metrics_NeverCarryPersonNames_UnlessPersonLabelsIsOn()
    {
        await using (var gateway = await GatewayFixture.StartAsync())
        {
            await SendMixAsync(gateway, "privacy", person: "person-canary-q7");
            await gateway.LedgerAsync(7);
            using var http = gateway.Client();
            var text = await http.GetStringAsync("/metrics");
            Assert.Contains("tokenops_requests_total", text);
            Assert.DoesNotContain("person-canary-q7", text);
        }
        await using (var gateway = await GatewayFixture.StartAsync(o => o.Telemetry.PersonLabels = true))
        {
            await SendMixAsync(gateway, "privacy-on", person: "person-canary-q8");
            await gateway.LedgerAsync(7);
            var samples = await ScrapeTeamAsync(gateway, "privacy-on", 7);
            Assert.Equal(7, samples.Where(s => s.Name == "tokenops_requests_total" && s["tokenops_person"] == "person-canary-q8").Sum(s => s.Value));
        }
    }

    [Fact]
    public async Task RequestsKestrelRefuses_AreCountedByStatus()
    {
        await using var gateway = await GatewayFixture.StartAsync();
        using var http = gateway.Client(gateway.CreateKey());
        for (var i = 0; i < 2; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = new StringContent("{}", Encoding.UTF8, "application/json") };
            request.Headers.TryAddWithoutValidation("X-Padding", new string('a', 64 * 1024));
            using var response = await http.SendAsync(request);
            Assert.Equal(HttpStatusCode.RequestHeaderFieldsTooLarge, response.StatusCode);
        }
        var deadline = DateTime.UtcNow.AddSeconds(5);
        List<PrometheusSample> samples;
        // Only the 431s are asserted: a connection the client drops after a refusal can add a refusal of its own (400).
        do samples = (await ScrapeAsync(gateway)).Where(s => s.Name == "tokenops_http_rejected_total" && s.Labels["http_response_status_code"] == "431").ToList();
        while (samples.Sum(s => s.Value) < 2 && DateTime.UtcNow < deadline);
        Assert.Equal(2, Assert.Single(samples).Value);
    }

    [Fact]
    public async Task Metrics_CanRequireAScrapeTokenFromTheEnvironment()
    {
        const string variable = "TOKENOPS_TEST_METRICS_TOKEN";
        Environment.SetEnvironmentVariable(variable, "scrape-token-42");
        await using var gateway = await GatewayFixture.StartAsync(o => o.Telemetry.MetricsTokenEnv = variable);
        using var anonymous = gateway.Client();
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/metrics")).StatusCode);
        using var wrong = gateway.Client("scrape-token-43");
        Assert.Equal(HttpStatusCode.Unauthorized, (await wrong.GetAsync("/metrics")).StatusCode);
        // The admin token is not a scrape token unless metricsRequireAdminToken says so.
        using var admin = gateway.Client(GatewayFixture.AdminToken);
        Assert.Equal(HttpStatusCode.Unauthorized, (await admin.GetAsync("/metrics")).StatusCode);
        await ScrapeAsync(gateway, "scrape-token-42");
    }

    [Fact]
    public void MetricsTokenEnv_NamingAnUnsetVariable_FailsAtStart()
    {
        var path = Path.Combine(Path.GetTempPath(), $"tokenops-metrics-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, """{"telemetry":{"metricsTokenEnv":"TOKENOPS_TEST_UNSET_METRICS_TOKEN"}}""");
        try
        {
            var ex = Assert.Throws<ConfigurationException>(() => ConfigurationLoader.Load(path, serving: true));
            Assert.Contains("telemetry.metricsTokenEnv", ex.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task Metrics_CanRequireTheAdminToken_AndCanBeTurnedOff()
    {
        await using (var gateway = await GatewayFixture.StartAsync(o => o.Telemetry.MetricsRequireAdminToken = true))
        {
            using var anonymous = gateway.Client();
            Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/metrics")).StatusCode);
            using var wrong = gateway.Client("not-the-admin-token");
            Assert.Equal(HttpStatusCode.Unauthorized, (await wrong.GetAsync("/metrics")).StatusCode);
            await ScrapeAsync(gateway, GatewayFixture.AdminToken);
        }
        await using (var gateway = await GatewayFixture.StartAsync(o => { o.Telemetry.PrometheusEnabled = false; o.Telemetry.MetricsPath = "/prom"; }))
        {
            using var http = gateway.Client();
            Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/metrics")).StatusCode);
            Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/prom")).StatusCode);
        }
        await using (var gateway = await GatewayFixture.StartAsync(o => o.Telemetry.MetricsPath = "/prom"))
        {
            using var http = gateway.Client();
            Assert.Contains("target_info", await http.GetStringAsync("/prom"));
        }
    }

    [Fact]
    public async Task Spans_CarryGenAiAttributes_EqualToTheLedgerRow()
    {
        var spans = new List<Activity>();
        using var tracing = Sdk.CreateTracerProviderBuilder().AddSource(GatewayTelemetry.Name).AddInMemoryExporter(spans).Build();
        await using var gateway = await GatewayFixture.StartAsync();
        var team = await SendMixAsync(gateway, "spans-" + Guid.NewGuid().ToString("N")[..8]);
        var rows = (await gateway.LedgerAsync(7)).Where(r => r.Team == team).ToList();
        var mine = await SpansAsync(spans, a => (a.GetTagItem("tokenops.team") as string) == team, rows.Count);
        Assert.Equal(rows.Count, mine.Count);
        foreach (var row in rows)
        {
            var span = Assert.Single(mine, a => (string?)a.GetTagItem("tokenops.event_id") == row.Id);
            Assert.Equal(ActivityKind.Client, span.Kind);
            Assert.Equal(row.Usage.TotalInput, span.GetTagItem("gen_ai.usage.input_tokens"));
            Assert.Equal(row.Usage.Output, span.GetTagItem("gen_ai.usage.output_tokens"));
            Assert.Equal(row.Usage.CacheRead, span.GetTagItem("gen_ai.usage.cache_read.input_tokens"));
            Assert.Equal(row.RequestedModel, span.GetTagItem("gen_ai.request.model"));
            Assert.Equal(row.ServedModel, span.GetTagItem("gen_ai.response.model"));
            Assert.Equal(row.Provider, span.GetTagItem("gen_ai.provider.name"));
            Assert.Equal(row.Provider, span.GetTagItem("gen_ai.system"));
            Assert.Equal(row.CostNanos, span.GetTagItem("tokenops.cost.nanodollars"));
            Assert.Equal(row.Route == "openai.embeddings" ? "embeddings" : "chat", span.GetTagItem("gen_ai.operation.name"));
            Assert.Null(span.GetTagItem("tokenops.person"));
            if (row.Outcome == LedgerOutcome.Ok)
            {
                Assert.Equal(ActivityStatusCode.Unset, span.Status);
                Assert.Equal($"{span.GetTagItem("gen_ai.operation.name")} {row.RequestedModel}", span.DisplayName);
            }
            else
            {
                Assert.Equal(ActivityStatusCode.Error, span.Status);
                Assert.Equal(row.ErrorCode, span.GetTagItem("error.type"));
            }
        }
    }

    [Fact]
    public async Task Spans_ContinueTheCallersTrace()
    {
        var spans = new List<Activity>();
        using var tracing = Sdk.CreateTracerProviderBuilder().AddSource(GatewayTelemetry.Name).AddInMemoryExporter(spans).Build();
        await using var gateway = await GatewayFixture.StartAsync();
        var team = "trace-" + Guid.NewGuid().ToString("N")[..8];
        using var http = gateway.Client(gateway.CreateKey("ada", team));
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Content = new StringContent("""{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hello"}]}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
        using var response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await gateway.LedgerAsync(1);
        var span = Assert.Single(await SpansAsync(spans, a => (a.GetTagItem("tokenops.team") as string) == team, 1));
        Assert.Equal("0af7651916cd43dd8448eb211c80319c", span.TraceId.ToHexString());
        Assert.Equal("b7ad6b7169203331", span.ParentSpanId.ToHexString());
        Assert.True(span.HasRemoteParent);
    }

    [Fact]
    public void TelemetryOff_RegistersNoOpenTelemetrySdk()
    {
        var services = new ServiceCollection();
        services.AddGatewayTelemetry(new TelemetryOptions { PrometheusEnabled = false });
        using var provider = services.BuildServiceProvider();
        Assert.Null(provider.GetService<OpenTelemetry.Metrics.MeterProvider>());
        Assert.Null(provider.GetService<TracerProvider>());
        // The hook is still there, and with no SDK it only checks that its instruments are disabled.
        Assert.NotNull(provider.GetRequiredService<GatewayTelemetry>());
    }

    [Fact]
    public void BudgetGauges_ReportRemainingAndReserved_ButNotPersonBudgetsByDefault()
    {
        var now = DateTimeOffset.UtcNow;
        var budgets = new FakeBudgets(
            new BudgetSnapshot("b1", BudgetLevel.Team, "core", 100m, 30.5m, 4.25m, now, now.AddDays(30), true),
            new BudgetSnapshot("b2", BudgetLevel.Person, "ada", 10m, 1m, 0m, now, now.AddDays(30), false),
            new BudgetSnapshot("b3", BudgetLevel.Organisation, "acme", 1000m, 0m, 0m, now, now.AddDays(30), true));
        foreach (var personLabels in new[] { false, true })
        {
            using var services = new ServiceCollection().AddMetrics().AddSingleton<IBudgetSnapshots>(budgets).BuildServiceProvider();
            var factory = services.GetRequiredService<IMeterFactory>();
            _ = new GatewayTelemetry(factory, new TelemetryOptions { PersonLabels = personLabels }, services);
            var seen = Observe(factory);
            Assert.Equal(65.25, seen[("tokenops.budget.remaining.usd", "team", "core")]);
            Assert.Equal(4.25, seen[("tokenops.budget.reserved.usd", "team", "core")]);
            Assert.Equal(100, seen[("tokenops.budget.limit.usd", "team", "core")]);
            Assert.Equal(30.5, seen[("tokenops.budget.spent.usd", "team", "core")]);
            Assert.Equal(1000, seen[("tokenops.budget.remaining.usd", "organisation", "acme")]);
            Assert.Equal(personLabels, seen.ContainsKey(("tokenops.budget.remaining.usd", "person", "ada")));
        }
        // Without an enforcement engine the gauges exist but report nothing.
        using (var bare = new ServiceCollection().AddMetrics().BuildServiceProvider())
        {
            var factory = bare.GetRequiredService<IMeterFactory>();
            _ = new GatewayTelemetry(factory, new TelemetryOptions(), bare);
            Assert.Empty(Observe(factory));
        }
    }

    private static Dictionary<(string, string, string), double> Observe(IMeterFactory factory)
    {
        var seen = new Dictionary<(string, string, string), double>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (ReferenceEquals(instrument.Meter.Scope, factory) && instrument.Name.StartsWith("tokenops.budget.", StringComparison.Ordinal)) l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) =>
        {
            string level = "", name = "";
            foreach (var t in tags)
            {
                if (t.Key == "tokenops.budget.level") level = (string)t.Value!;
                else if (t.Key == "tokenops.budget.name") name = (string)t.Value!;
            }
            seen[(instrument.Name, level, name)] = value;
        });
        listener.Start();
        listener.RecordObservableInstruments();
        return seen;
    }

    private sealed class FakeBudgets(params BudgetSnapshot[] snapshots) : IBudgetSnapshots
    {
        public IReadOnlyList<BudgetSnapshot> Current() => snapshots;
    }
}

/// <summary>
/// The metrics tests run alone, after the parallel ones: the OpenTelemetry SDK subscribes to meters by name across the
/// process, so another gateway started beside them (one per process in production) registers instruments of the same
/// names, and one gateway's /metrics could read the other's (a savings assertion read 0 beside EndpointGuardTests).
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MetricsCollection
{
    public const string Name = "Metrics";
}
