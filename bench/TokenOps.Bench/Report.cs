using System.Globalization;
using System.Text;

namespace TokenOps.Bench;

/// <summary>The markdown report: results side by side, then each target of the issue, met or not.</summary>
internal static class Report
{
    public const double CpuTargetUs = 100;
    public const double ThroughputTarget = 0.60;
    public const double AddedP50TargetMs = 0.5;
    public const double AddedTtfbTargetMs = 1.0;
    public const double RssTargetMb = 200;

    private sealed record Pair(string Scenario, int Concurrency, RunResult Direct, RunResult Gateway)
    {
        public double Ratio => Gateway.RequestsPerSecond / Direct.RequestsPerSecond;
        public double AddedP50 => Gateway.LatencyMs.P50 - Direct.LatencyMs.P50;
        public double AddedP99 => Gateway.LatencyMs.P99 - Direct.LatencyMs.P99;
        public double AddedTtfbP50 => Gateway.TtfbMs.P50 - Direct.TtfbMs.P50;
        public double AddedTtfbP99 => Gateway.TtfbMs.P99 - Direct.TtfbMs.P99;
        public string Label => $"{Scenario} c={Concurrency}";
    }

    public static string Markdown(IReadOnlyList<RunResult> results, string machine, long? vmRssKb, long? vmHwmKb,
        long? maxSampledRssKb, TimeSpan duration, TimeSpan warmup, int simLatencyMs)
    {
        var pairs = results.GroupBy(r => (r.Scenario, r.Concurrency))
            .Select(g => new Pair(g.Key.Scenario, g.Key.Concurrency, g.Single(r => r.Target == "direct"), g.Single(r => r.Target == "gateway")))
            .ToList();
        var sb = new StringBuilder();
        void Line(FormattableString s) => sb.AppendLine(s.ToString(CultureInfo.InvariantCulture));

        Line($"Machine: {machine}. Each run: {warmup.TotalSeconds:0.#} s warm-up (not counted) + {duration.TotalSeconds:0.#} s measured; simulated provider latency {simLatencyMs} ms; latencies in ms.");
        sb.AppendLine();
        sb.AppendLine("| Scenario | Conc. | Direct req/s | Gateway req/s | Ratio | p50 direct | p50 gateway | **Added p50** | p99 direct | p99 gateway | **Added p99** | **Gateway CPU µs/req** | Errors (direct/gateway) |");
        sb.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var p in pairs)
        {
            Line($"| {p.Scenario} | {p.Concurrency} | {p.Direct.RequestsPerSecond:0} | {p.Gateway.RequestsPerSecond:0} | {p.Ratio:P0} | {p.Direct.LatencyMs.P50:0.000} | {p.Gateway.LatencyMs.P50:0.000} | {p.AddedP50:+0.000;-0.000} | {p.Direct.LatencyMs.P99:0.000} | {p.Gateway.LatencyMs.P99:0.000} | {p.AddedP99:+0.000;-0.000} | {p.Gateway.TargetCpuUsPerRequest:0} | {p.Direct.Errors}/{p.Gateway.Errors} |");
        }

        var streams = pairs.Where(p => p.Scenario == "stream").ToList();
        if (streams.Count > 0)
        {
            sb.AppendLine();
            sb.AppendLine("Time to first byte on streams (from the send to the first body bytes):");
            sb.AppendLine();
            sb.AppendLine("| Conc. | TTFB p50 direct | TTFB p50 gateway | **Added TTFB p50** | TTFB p99 direct | TTFB p99 gateway | Added TTFB p99 |");
            sb.AppendLine("|---:|---:|---:|---:|---:|---:|---:|");
            foreach (var p in streams)
                Line($"| {p.Concurrency} | {p.Direct.TtfbMs.P50:0.000} | {p.Gateway.TtfbMs.P50:0.000} | {p.AddedTtfbP50:+0.000;-0.000} | {p.Direct.TtfbMs.P99:0.000} | {p.Gateway.TtfbMs.P99:0.000} | {p.AddedTtfbP99:+0.000;-0.000} |");
        }

        sb.AppendLine();
        sb.AppendLine("CPU per request, µs (all three processes share the same 2 cores):");
        sb.AppendLine();
        sb.AppendLine("| Scenario | Conc. | Simulator (direct run) | Simulator (gateway run) | Gateway | Bench client (direct run) | Bench client (gateway run) |");
        sb.AppendLine("|---|---:|---:|---:|---:|---:|---:|");
        foreach (var p in pairs)
            Line($"| {p.Scenario} | {p.Concurrency} | {p.Direct.TargetCpuUsPerRequest:0} | {p.Gateway.SimulatorCpuUsPerRequest:0} | {p.Gateway.TargetCpuUsPerRequest:0} | {p.Direct.ClientCpuUsPerRequest:0} | {p.Gateway.ClientCpuUsPerRequest:0} |");

        sb.AppendLine();
        sb.AppendLine("Where the gateway's CPU goes, µs per request by thread name (from /proc/<pid>/task/*/stat; kernel share = stime / (utime + stime)):");
        sb.AppendLine();
        sb.AppendLine("| Scenario | Conc. | Total | Kernel share | By thread |");
        sb.AppendLine("|---|---:|---:|---:|---|");
        foreach (var p in pairs)
        {
            var threads = p.Gateway.TargetThreadsUsPerRequest is { } t
                ? string.Join(", ", t.Where(kv => kv.Value >= 0.5).Select(kv => string.Create(CultureInfo.InvariantCulture, $"{kv.Key} {kv.Value:0}")))
                : "n/a";
            Line($"| {p.Scenario} | {p.Concurrency} | {p.Gateway.TargetCpuUsPerRequest:0} | {p.Gateway.TargetSystemShare:P0} | {threads} |");
        }

        var enforcement = results.Where(r => r.Target == "enforced").ToList();
        if (enforcement.Count > 0)
        {
            sb.AppendLine();
            sb.AppendLine("Enforcement on (a second gateway with organisation, team and person budgets every request falls under, never exhausted) vs metering only, same load, run back to back:");
            sb.AppendLine();
            sb.AppendLine("| Scenario | Conc. | Metering-only req/s | Enforced req/s | p50 metering-only | p50 enforced | Gateway CPU µs/req metering-only | Gateway CPU µs/req enforced | **Added CPU µs/req** | Errors (enforced) |");
            sb.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
            foreach (var e in enforcement)
            {
                var m = results.Single(r => r.Target == "gateway" && r.Scenario == e.Scenario && r.Concurrency == e.Concurrency);
                Line($"| {e.Scenario} | {e.Concurrency} | {m.RequestsPerSecond:0} | {e.RequestsPerSecond:0} | {m.LatencyMs.P50:0.000} | {e.LatencyMs.P50:0.000} | {m.TargetCpuUsPerRequest:0.0} | {e.TargetCpuUsPerRequest:0.0} | {e.TargetCpuUsPerRequest - m.TargetCpuUsPerRequest:+0.0;-0.0} | {e.Errors} |");
            }
        }

        // The floor: a pass-through proxy on the same stack (bench/TokenOps.Relay), so that what TokenOps itself costs
        // can be told apart from what any .NET proxy costs on this machine.
        var relays = results.Where(r => r.Target == "relay").ToList();
        if (relays.Count > 0)
        {
            sb.AppendLine();
            sb.AppendLine("Bare relay baseline (a pass-through .NET proxy: Kestrel + HttpClient, no metering), same load, run between direct and gateway:");
            sb.AppendLine();
            sb.AppendLine("| Scenario | Conc. | Direct req/s | Relay req/s | Relay vs direct | Gateway req/s | Gateway vs relay | Relay CPU µs/req | Gateway CPU µs/req | **TokenOps' own cost over the relay, µs/req** | Errors (relay) |");
            sb.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
            foreach (var r in relays)
            {
                var p = pairs.Single(x => x.Scenario == r.Scenario && x.Concurrency == r.Concurrency);
                Line($"| {r.Scenario} | {r.Concurrency} | {p.Direct.RequestsPerSecond:0} | {r.RequestsPerSecond:0} | {r.RequestsPerSecond / p.Direct.RequestsPerSecond:P0} | {p.Gateway.RequestsPerSecond:0} | {p.Gateway.RequestsPerSecond / r.RequestsPerSecond:P0} | {r.TargetCpuUsPerRequest:0} | {p.Gateway.TargetCpuUsPerRequest:0} | {p.Gateway.TargetCpuUsPerRequest - r.TargetCpuUsPerRequest:+0;-0} | {r.Errors} |");
            }
        }

        sb.AppendLine();
        Line($"Gateway memory at the end of the run: VmRSS {Mb(vmRssKb)}, peak VmHWM {Mb(vmHwmKb)} (largest VmRSS sampled between runs: {Mb(maxSampledRssKb)}).");

        sb.AppendLine();
        sb.AppendLine("| Target | Limit | Measured | Met? |");
        sb.AppendLine("|---|---|---|---|");
        var worstCpu = pairs.MaxBy(p => p.Gateway.TargetCpuUsPerRequest ?? double.NaN);
        if (worstCpu?.Gateway.TargetCpuUsPerRequest is { } cpu)
            Line($"| Gateway CPU per request, every concurrency | ≤ {CpuTargetUs:0} µs | {cpu:0} µs (worst: {worstCpu.Label}; {string.Join(", ", pairs.Select(p => $"{p.Label} {p.Gateway.TargetCpuUsPerRequest:0}"))}) | {Met(cpu <= CpuTargetUs)} |");
        // Under load: CPU per request at the highest concurrency, where it measures work per request. At c=1 the
        // processes are idle between requests and every request pays thread wake-ups (the relay row below shows the same).
        var loaded = pairs.Where(p => p.Concurrency == pairs.Max(x => x.Concurrency) && p.Concurrency > 1).ToList();
        if (loaded.Count > 0 && loaded.MaxBy(p => p.Gateway.TargetCpuUsPerRequest ?? double.NaN) is { Gateway.TargetCpuUsPerRequest: { } loadedCpu } worstLoaded)
            Line($"| Gateway CPU per request under load (c={worstLoaded.Concurrency}) | ≤ {CpuTargetUs:0} µs | {loadedCpu:0} µs (worst: {worstLoaded.Label}; {string.Join(", ", loaded.Select(p => $"{p.Label} {p.Gateway.TargetCpuUsPerRequest:0}"))}) | {Met(loadedCpu <= CpuTargetUs)} |");
        var worstRatio = pairs.MinBy(p => p.Ratio);
        if (worstRatio is not null)
            Line($"| Throughput vs direct | ≥ {ThroughputTarget:P0} | {worstRatio.Ratio:P0} (worst: {worstRatio.Label}; {string.Join(", ", pairs.Select(p => $"{p.Label} {p.Ratio:P0}"))}) | {Met(worstRatio.Ratio >= ThroughputTarget)} |");
        var c1 = pairs.Where(p => p.Concurrency == 1).ToList();
        if (c1.Count > 0)
        {
            var worst = c1.MaxBy(p => p.AddedP50)!;
            Line($"| Added p50 latency at concurrency 1 | ≤ {AddedP50TargetMs:0.0} ms | {worst.AddedP50:0.000} ms (worst: {worst.Label}; {string.Join(", ", c1.Select(p => $"{p.Label} {p.AddedP50:0.000}"))}) | {Met(worst.AddedP50 <= AddedP50TargetMs)} |");
        }
        var streamC1 = streams.Where(p => p.Concurrency == 1).ToList();
        if (streamC1.Count > 0)
        {
            var s = streamC1[0];
            var others = streams.Where(p => p.Concurrency != 1).Select(p => $"at c={p.Concurrency}: {p.AddedTtfbP50:0.000} ms, not graded");
            Line($"| Added time to first byte on streams (p50, concurrency 1) | ≤ {AddedTtfbTargetMs:0} ms | {s.AddedTtfbP50:0.000} ms ({string.Join("; ", others)}) | {Met(s.AddedTtfbP50 <= AddedTtfbTargetMs)} |");
        }
        if (relays.Count > 0)
        {
            // Not a target: what the same machine allows any .NET proxy, for reading the two rows above.
            var relayText = string.Join(", ", relays.Select(r =>
            {
                var p = pairs.Single(x => x.Scenario == r.Scenario && x.Concurrency == r.Concurrency);
                return $"{p.Label} {r.TargetCpuUsPerRequest:0} µs, {r.RequestsPerSecond / p.Direct.RequestsPerSecond:P0}";
            }));
            Line($"| (context) Bare relay, no metering: CPU per request and throughput vs direct | — | {relayText} | — |");
        }
        if (vmHwmKb is { } hwm)
            Line($"| Gateway RSS (peak, VmHWM) | ≤ {RssTargetMb:0} MB | {hwm / 1024.0:0.0} MB | {Met(hwm / 1024.0 <= RssTargetMb)} |");
        AllTargets(sb, results);
        return sb.ToString();
    }

    private static string Met(bool met) => met ? "met" : "**NOT met**";

    private static string Mb(long? kb) => kb is { } k ? string.Create(CultureInfo.InvariantCulture, $"{k / 1024.0:0.0} MB") : "n/a";

    /// <summary>
    /// Every target of the run side by side (bench/fleet.sh adds the forwarder, PostgreSQL + Redis and three replicas),
    /// each read against the metering forwarder when it ran, else against the gateway.
    /// </summary>
    private static void AllTargets(StringBuilder sb, IReadOnlyList<RunResult> results)
    {
        if (results.Select(r => r.Target).Distinct().Count() <= 2) return;
        var baseline = results.Any(r => r.Target == "forwarder") ? "forwarder" : "gateway";
        sb.AppendLine();
        sb.AppendLine($"Every target, read against the {baseline} of the same scenario and concurrency:");
        sb.AppendLine();
        sb.AppendLine($"| Scenario | Conc. | Target | req/s | % of {baseline} | p50 ms | p99 ms | p99 / {baseline} p99 | CPU µs/req | Errors |");
        sb.AppendLine("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var g in results.GroupBy(r => (r.Scenario, r.Concurrency)))
        {
            var b = g.FirstOrDefault(r => r.Target == baseline);
            foreach (var r in g)
            {
                var share = b is null || b.RequestsPerSecond == 0 ? "" : (r.RequestsPerSecond / b.RequestsPerSecond).ToString("P0", CultureInfo.InvariantCulture);
                var tail = b is null || b.LatencyMs.P99 == 0 ? "" : (r.LatencyMs.P99 / b.LatencyMs.P99).ToString("0.00", CultureInfo.InvariantCulture);
                sb.AppendLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {r.Scenario} | {r.Concurrency} | {r.Target} | {r.RequestsPerSecond:0} | {share} | {r.LatencyMs.P50:0.000} | {r.LatencyMs.P99:0.000} | {tail} | {r.TargetCpuUsPerRequest:0} | {r.Errors} |"));
            }
        }
    }
}
