using System.Diagnostics;
using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using TokenOps.Core.Ledger;
using TokenOps.Core.Metering;
using TokenOps.Core.Pricing;
using TokenOps.Gateway.Configuration;
using TokenOps.Gateway.Protocols.OpenAI;
using TokenOps.Gateway.Telemetry;

// What the telemetry hook costs per request, in-process, without HTTP noise:
//   dotnet run -c Release --project bench/TokenOps.Bench.Telemetry [-- ROUNDS]
// Each mode runs the real TelemetrySetup wiring, then times StartRequest + Record + Dispose (what the pipeline and
// settle stage do per request) over a realistic spread of label values, best of ROUNDS rounds of 500,000 requests.
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
var rounds = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 5;
const int PerRound = 500_000;

string[] models = ["gpt-4o-mini", "gpt-4.1", "claude-haiku-4-5", "o4-mini"];
string[] teams = ["core", "payments", "growth"];
var entries = (from m in models from t in teams
               select new LedgerEntry
               {
                   Id = "evt_bench", StartedAt = DateTimeOffset.UtcNow, EndedAt = DateTimeOffset.UtcNow, Route = "openai.chat", Person = "ada", Team = t,
                   Provider = m.StartsWith("claude", StringComparison.Ordinal) ? "anthropic" : "openai", RequestedModel = m, ServedModel = m,
                   Usage = new TokenUsage { UncachedInput = 37, CacheRead = 1024, Output = 64, Reasoning = 16 },
                   Cost = new CostBreakdown { UncachedInput = 0.00000555m, CacheRead = 0.0000768m, Output = 0.0000288m, Reasoning = 0.0000096m },
                   Status = 200, Outcome = LedgerOutcome.Ok, LatencyMs = 0.4, TimeToFirstTokenMs = 0.3,
               }).ToArray();
var route = new ChatCompletionsRoute();
var http = new DefaultHttpContext();

Console.WriteLine($"| Mode | CPU ns per request (best of {rounds} x {PerRound:N0}) | bytes allocated per request |");
Console.WriteLine("|---|---:|---:|");
Run("telemetry off (prometheusEnabled: false, no OTLP)", new TelemetryOptions { PrometheusEnabled = false }, tracing: false);
Run("Prometheus on, never scraped (default)", new TelemetryOptions(), tracing: false);
Run("Prometheus on + a trace listener sampling every span", new TelemetryOptions(), tracing: true);
return 0;

void Run(string mode, TelemetryOptions options, bool tracing)
{
    var services = new ServiceCollection();
    services.AddGatewayTelemetry(options);
    using var provider = services.BuildServiceProvider();
    _ = provider.GetService<MeterProvider>(); // the OpenTelemetry SDK starts listening when its provider is built
    using var tracer = tracing ? Sdk.CreateTracerProviderBuilder().AddSource(GatewayTelemetry.Name).Build() : null;
    var telemetry = provider.GetRequiredService<GatewayTelemetry>();
    var best = double.MaxValue;
    long bestBytes = long.MaxValue;
    for (var r = 0; r < rounds + 1; r++) // round 0 warms the JIT up and is not counted
    {
        var bytes = GC.GetAllocatedBytesForCurrentThread();
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        for (var i = 0; i < PerRound; i++)
        {
            var activity = GatewayTelemetry.StartRequest(route, http);
            telemetry.Record(entries[i % entries.Length], activity);
            activity?.Dispose();
        }
        // CPU time of the process, not wall time: the machine is shared, and a preempted loop would count other people's work.
        var ns = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalNanoseconds / PerRound;
        var allocated = (GC.GetAllocatedBytesForCurrentThread() - bytes) / PerRound;
        if (r == 0) continue;
        best = Math.Min(best, ns);
        bestBytes = Math.Min(bestBytes, allocated);
    }
    Console.WriteLine($"| {mode} | {best:F0} | {bestBytes} |");
}
