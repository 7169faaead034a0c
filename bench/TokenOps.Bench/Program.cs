using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using TokenOps.Bench;

// Usage (bench/run.sh starts the processes and passes all of this):
//   tokenops-bench --simulator URL --gateway URL --key tok_... [--gateway-pid N] [--simulator-pid N]
//                  [--duration 15] [--warmup 2] [--initial-warmup 4] [--concurrency 1,16] [--scenarios json,stream]
//                  [--model gpt-4o-mini] [--max-tokens 64] [--prompt-words 0] [--sim-output-tokens 0] [--sim-latency-ms 0] [--max-requests 5000000] [--out DIR]
//                  [--enforced URL --enforced-key tok_... --enforced-pid N]   (a second gateway with budgets: enforcement on)
//                  [--relay URL --relay-pid N]   (a bare pass-through .NET proxy in front of the simulator: the floor)
CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;

//   tokenops-bench --admit-micro 200000   (the admit stage alone, in-process: CPU per request of enforcement)
if (args is ["--admit-micro", var count]) return AdmitMicrobench.Run(int.Parse(count, CultureInfo.InvariantCulture));

var opts = new Dictionary<string, string>(StringComparer.Ordinal);
for (var i = 0; i < args.Length; i++)
{
    if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
    {
        Console.Error.WriteLine($"bad argument '{args[i]}' (every option takes a value: --name value)");
        return 2;
    }
    opts[args[i][2..]] = args[++i];
}
string Opt(string name, string? fallback = null) =>
    opts.TryGetValue(name, out var v) ? v : fallback ?? throw new ArgumentException($"--{name} is required");
int? OptPid(string name) => opts.TryGetValue(name, out var v) ? int.Parse(v, CultureInfo.InvariantCulture) : null;

var simulatorUrl = new Uri(Opt("simulator").TrimEnd('/') + "/");
var gatewayUrl = new Uri(Opt("gateway").TrimEnd('/') + "/");
var key = Opt("key");
var gatewayPid = OptPid("gateway-pid");
var simulatorPid = OptPid("simulator-pid");
var duration = TimeSpan.FromSeconds(double.Parse(Opt("duration", "15"), CultureInfo.InvariantCulture));
var warmup = TimeSpan.FromSeconds(double.Parse(Opt("warmup", "2"), CultureInfo.InvariantCulture));
var initialWarmup = TimeSpan.FromSeconds(double.Parse(Opt("initial-warmup", "4"), CultureInfo.InvariantCulture));
var concurrencies = Opt("concurrency", "1,16").Split(',').Select(c => int.Parse(c, CultureInfo.InvariantCulture)).ToArray();
var scenarioNames = Opt("scenarios", "json,stream").Split(',');
var model = Opt("model", "gpt-4o-mini");
var maxTokens = int.Parse(Opt("max-tokens", "64"), CultureInfo.InvariantCulture);
var simLatencyMs = int.Parse(Opt("sim-latency-ms", "0"), CultureInfo.InvariantCulture);
// --prompt-words N: a long prompt (about 1.3 tokens a word) that differs on every request (bench/routing.sh).
var promptWords = int.Parse(Opt("prompt-words", "0"), CultureInfo.InvariantCulture);
// --sim-output-tokens N: every answer has N words (x-sim-output-tokens), e.g. ~700 for a 4 KB answer (bench/run.sh CACHE=1).
var simOutputTokens = int.Parse(Opt("sim-output-tokens", "0"), CultureInfo.InvariantCulture);
var maxRequests = long.Parse(Opt("max-requests", "5000000"), CultureInfo.InvariantCulture);
var outDir = Opt("out", "bench/results");
var clockTicks = opts.TryGetValue("clk-tck", out var tck) ? int.Parse(tck, CultureInfo.InvariantCulture) : ProcStat.ClockTicks();
if (duration <= TimeSpan.Zero || duration > TimeSpan.FromMinutes(10)) throw new ArgumentException("--duration must be in (0, 600] seconds");
if (concurrencies.Any(c => c is < 1 or > 256)) throw new ArgumentException("--concurrency values must be in [1, 256]");
Directory.CreateDirectory(outDir);

using var direct = new Target("direct", simulatorUrl, "sim-bench-key", simulatorPid);
// The bare relay (bench/TokenOps.Relay): same server and client stack as the gateway, nothing else. It ignores the
// client's key (it sends its own upstream), so it gets the direct target's.
using var relay = opts.TryGetValue("relay", out var relayUrl)
    ? new Target("relay", new Uri(relayUrl.TrimEnd('/') + "/"), "sim-bench-key", OptPid("relay-pid"))
    : null;
using var gateway = new Target("gateway", gatewayUrl, key, gatewayPid);
// Enforcement on: a second gateway whose budgets every request falls under (never exhausted), run right after the
// metering-only gateway with the same load, so the two differ only in the admit stage.
using var enforced = opts.TryGetValue("enforced", out var enforcedUrl)
    ? new Target("enforced", new Uri(enforcedUrl.TrimEnd('/') + "/"), Opt("enforced-key"), OptPid("enforced-pid"))
    : null;
// More targets, each "name|url[,url...]|key|pid[,pid...]" and separated by ';' (bench/fleet.sh: the metering forwarder,
// a gateway on PostgreSQL + Redis, three replicas taking requests round-robin). Run after the others, in the order given.
var extras = opts.TryGetValue("targets", out var extraSpecs) ? ExtraTargets.Parse(extraSpecs) : [];
// Run order within each scenario and concurrency: direct, relay, gateway, enforced (those present), then the extras.
Target[] targets = new[] { direct, relay, gateway, enforced }.OfType<Target>().Concat(extras).ToArray();
var scenarios = scenarioNames.Select(n => n switch
{
    "json" or "stream" when promptWords > 0 => Scenario.CreateLong(n, model, maxTokens, simLatencyMs, promptWords),
    "json" or "stream" => Scenario.Create(n, model, maxTokens, simLatencyMs),
    _ => throw new ArgumentException($"unknown scenario '{n}' (json, stream)"),
}).Select(s => s with { SimOutputTokens = simOutputTokens }).ToList();

// Preflight: one request of each kind to each target, so a misconfiguration fails in a second, not after minutes.
foreach (var scenario in scenarios)
{
    foreach (var target in targets)
    {
        if (await LoadRunner.ProbeAsync(target, scenario) is { } problem)
        {
            Console.Error.WriteLine($"preflight {scenario.Name} -> {target.Name} ({target.Url}) failed: {problem}");
            return 1;
        }
    }
}

var cpuModel = File.Exists("/proc/cpuinfo")
    ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim()
    : null;
var machine = $"{Environment.ProcessorCount} logical CPUs ({cpuModel ?? "unknown CPU"}), {RuntimeInformation.OSDescription}, {RuntimeInformation.FrameworkDescription}";
Console.WriteLine($"# machine: {machine}");
Console.WriteLine($"# load: {string.Join(", ", scenarioNames)} x concurrency {string.Join(", ", concurrencies)}; {warmup.TotalSeconds:0.#} s warm-up + {duration.TotalSeconds:0.#} s measured per run; {string.Join(" then ", targets.Select(t => t.Name))}; simulated provider latency {simLatencyMs} ms");

// Initial warm-up, not measured: every scenario against every target at the highest concurrency, so that the JIT
// (tiered compilation, dynamic PGO) of all the processes has settled before the first measured run.
if (initialWarmup > TimeSpan.Zero)
{
    Console.WriteLine($"# initial warm-up: {initialWarmup.TotalSeconds:0.#} s per scenario and target at concurrency {concurrencies.Max()} (not measured)");
    foreach (var scenario in scenarios)
        foreach (var target in targets)
            await LoadRunner.RunAsync(target, scenario, concurrencies.Max(), TimeSpan.Zero, initialWarmup, maxRequests, null, clockTicks);
}

var results = new List<RunResult>();
var rssSamples = new List<long>();
foreach (var scenario in scenarios)
{
    foreach (var concurrency in concurrencies)
    {
        // Same process, back to back: the baseline, then the same load through the relay and the gateway(s); for every
        // proxied run the simulator's CPU is read as well.
        foreach (var target in targets)
        {
            var r = await LoadRunner.RunAsync(target, scenario, concurrency, warmup, duration, maxRequests, target != direct ? simulatorPid : null, clockTicks);
            results.Add(r);
            if (gatewayPid is { } gp && ProcStat.StatusKb(gp, "VmRSS") is { } rss) rssSamples.Add(rss);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{scenario.Name,-6} c={concurrency,-3} {target.Name,-8} {r.RequestsPerSecond,9:0.0} req/s  p50 {r.LatencyMs.P50,7:0.000} ms  p99 {r.LatencyMs.P99,7:0.000} ms  ttfb p50 {r.TtfbMs.P50,7:0.000} ms  " +
                $"{(r.TargetCpuUsPerRequest is { } cpu ? $"cpu {cpu,6:0.0} us/req  " : "")}errors {r.Errors}{(r.FirstError is { } e ? $" (first: {e})" : "")}"));
        }
    }
}

long? vmRss = gatewayPid is { } g1 ? ProcStat.StatusKb(g1, "VmRSS") : null;
long? vmHwm = gatewayPid is { } g2 ? ProcStat.StatusKb(g2, "VmHWM") : null;
var report = Report.Markdown(results, machine, vmRss, vmHwm, rssSamples.Count > 0 ? rssSamples.Max() : null, duration, warmup, simLatencyMs);
Console.WriteLine();
Console.WriteLine(report);

File.WriteAllText(Path.Combine(outDir, "results.md"), report);
File.WriteAllText(Path.Combine(outDir, "results.json"), JsonSerializer.Serialize(new
{
    machine,
    durationSeconds = duration.TotalSeconds,
    warmupSeconds = warmup.TotalSeconds,
    model,
    maxTokens,
    simLatencyMs,
    gatewayVmRssKb = vmRss,
    gatewayVmHwmKb = vmHwm,
    results,
}, new JsonSerializerOptions { WriteIndented = true, NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals }));
// Every request sent through the gateway, warm-up and preflight included: run.sh compares it with the ledger.
File.WriteAllText(Path.Combine(outDir, "gateway-requests.txt"), gateway.Sent.ToString(CultureInfo.InvariantCulture) + "\n");
if (enforced is not null) File.WriteAllText(Path.Combine(outDir, "enforced-requests.txt"), enforced.Sent.ToString(CultureInfo.InvariantCulture) + "\n");
foreach (var extra in extras)
    File.WriteAllText(Path.Combine(outDir, extra.Name + "-requests.txt"), extra.Sent.ToString(CultureInfo.InvariantCulture) + "\n");
foreach (var extra in extras) extra.Dispose();
return results.Any(r => r.Errors > 0) ? 3 : 0;
