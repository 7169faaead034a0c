using System.Diagnostics;
using System.Net;
using System.Text;

namespace TokenOps.Bench;

/// <summary>One place the load is sent: the simulator directly, or the gateway in front of it.</summary>
internal sealed class Target : IDisposable
{
    private readonly Uri[] _urls;
    private long _next;

    /// <param name="baseUrls">One URL, or several replicas behind no balancer: requests go round-robin, as a load balancer would.</param>
    /// <param name="pids">The processes whose CPU is this target's (every replica's), the first one's threads broken down.</param>
    public Target(string name, IReadOnlyList<Uri> baseUrls, string apiKey, IReadOnlyList<int> pids)
    {
        Name = name;
        _urls = baseUrls.Select(u => new Uri(u, "v1/chat/completions")).ToArray();
        Authorization = "Bearer " + apiKey;
        Pids = pids.ToArray();
    }

    public Target(string name, Uri baseUrl, string apiKey, int? pid) : this(name, [baseUrl], apiKey, pid is { } p ? [p] : []) { }

    public string Name { get; }
    public Uri Url => _urls[0];
    public string Authorization { get; }
    public int[] Pids { get; }
    public int? Pid => Pids.Length > 0 ? Pids[0] : null;

    /// <summary>The next replica's URL, round-robin.</summary>
    public Uri NextUrl() => _urls.Length == 1 ? _urls[0] : _urls[(int)((ulong)Interlocked.Increment(ref _next) % (ulong)_urls.Length)];

    /// <summary>Requests sent to this target in total (warm-up included), for the ledger check.</summary>
    public long Sent;

    public HttpClient Client { get; } = new(new SocketsHttpHandler
    {
        UseProxy = false,
        UseCookies = false,
        AllowAutoRedirect = false,
        AutomaticDecompression = DecompressionMethods.None,
        MaxConnectionsPerServer = 256,
        PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
        PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
        ConnectTimeout = TimeSpan.FromSeconds(5),
    })
    {
        Timeout = TimeSpan.FromSeconds(30),
    };

    public void Dispose() => Client.Dispose();
}

internal sealed record Scenario(string Name, bool Stream, byte[] Body, int SimLatencyMs)
{
    /// <summary>
    /// With --prompt-words: a prompt of about that many words whose text differs on every request (a counter in it), so
    /// nothing downstream (a router's embedding cache, a response cache) can answer from memory. Null: the fixed body.
    /// </summary>
    public Func<long, byte[]>? Varying { get; init; }

    /// <summary>With --sim-output-tokens: sent as x-sim-output-tokens, so the answer has that many words (a 4 KB answer for the cache bench).</summary>
    public int SimOutputTokens { get; init; }

    private long _sequence;

    public byte[] NextBody() => Varying is { } next ? next(Interlocked.Increment(ref _sequence)) : Body;

    private static readonly string[] Words =
        ("refactor the payment retry handler so that idempotency keys survive a restart and add tests for the ledger migration " +
         "explain why the integration test is flaky when the queue is slow summarise this incident timeline compute the integral " +
         "prove the bound derive the recurrence write a function that parses the log lines and returns the slowest endpoints").Split(' ');

    public static Scenario CreateLong(string name, string model, int maxTokens, int simLatencyMs, int promptWords)
    {
        var stream = name == "stream";
        var text = new StringBuilder();
        for (var i = 0; i < promptWords; i++) text.Append(Words[(i * 7 + i / 13) % Words.Length]).Append(' ');
        var prompt = text.ToString();
        byte[] Body(long n) => Encoding.UTF8.GetBytes(
            $$"""{"model":"{{model}}","max_tokens":{{maxTokens}},{{(stream ? "\"stream\":true," : "")}}"messages":[{"role":"user","content":"Request {{n}}: {{prompt}}"}]}""");
        return new Scenario(name, stream, Body(0), simLatencyMs) { Varying = Body };
    }

    /// <summary>
    /// <paramref name="simLatencyMs"/> &gt; 0 sends <c>x-sim-latency-ms</c> (the gateway forwards it), so the simulator
    /// waits that long before the answer (JSON) or the first token (streams), like a real provider.
    /// </summary>
    public static Scenario Create(string name, string model, int maxTokens, int simLatencyMs = 0)
    {
        var stream = name == "stream";
        var body = $$"""
            {"model":"{{model}}","max_tokens":{{maxTokens}},{{(stream ? "\"stream\":true," : "")}}"messages":[{"role":"system","content":"You are a terse assistant."},{"role":"user","content":"In one paragraph, why should an engineering org meter LLM usage per team?"}]}
            """;
        return new Scenario(name, stream, Encoding.UTF8.GetBytes(body.Trim()), simLatencyMs);
    }
}

/// <summary>What one (target, scenario, concurrency) run measured, warm-up excluded.</summary>
internal sealed record RunResult(
    string Target,
    string Scenario,
    int Concurrency,
    long Requests,
    long Errors,
    double Seconds,
    double RequestsPerSecond,
    Percentiles LatencyMs,
    Percentiles TtfbMs,
    double? TargetCpuUsPerRequest,
    double? SimulatorCpuUsPerRequest,
    double ClientCpuUsPerRequest,
    long ResponseBytes,
    string? FirstError)
{
    /// <summary>Share of the target's CPU spent in the kernel (stime), for the gateway/simulator process.</summary>
    public double? TargetSystemShare { get; init; }

    /// <summary>Target CPU µs per request by thread name (largest first); "(exited threads)" is what left with retired threads.</summary>
    public IReadOnlyList<KeyValuePair<string, double>>? TargetThreadsUsPerRequest { get; init; }
}

internal sealed record Percentiles(double P50, double P90, double P99, double Max, double Mean)
{
    public static Percentiles Of(List<double> values)
    {
        if (values.Count == 0) return new Percentiles(double.NaN, double.NaN, double.NaN, double.NaN, double.NaN);
        values.Sort();
        return new Percentiles(Rank(values, 0.50), Rank(values, 0.90), Rank(values, 0.99), values[^1], values.Average());
    }

    // Nearest-rank percentile.
    private static double Rank(List<double> sorted, double p) =>
        sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];
}

/// <summary>
/// Fixed-concurrency closed loop: each worker sends one request, reads the whole body, then sends the next. Bounded by
/// time (warm-up + duration, plus a hard stop) and by count (<c>maxRequests</c> per run). Requests in flight when the
/// time is up are completed, never cancelled, so every request the gateway saw is a complete one (one ledger row each).
/// </summary>
internal static class LoadRunner
{
    private static readonly byte[] DoneMarker = "data: [DONE]\n\n"u8.ToArray();
    private static readonly byte[] UsageMarker = "\"usage\":{"u8.ToArray();

    public static async Task<RunResult> RunAsync(Target target, Scenario scenario, int concurrency, TimeSpan warmup,
        TimeSpan duration, long maxRequests, int? simulatorPid, int clockTicks)
    {
        var workers = new Worker[concurrency];
        for (var i = 0; i < concurrency; i++) workers[i] = new Worker();
        var start = Stopwatch.GetTimestamp();
        var stopAt = start + Ticks(warmup + duration);
        using var hardStop = new CancellationTokenSource(warmup + duration + TimeSpan.FromSeconds(60));
        var state = new RunState(stopAt, maxRequests);

        var tasks = workers.Select(w => Task.Run(() => WorkAsync(w, target, scenario, state, hardStop.Token))).ToArray();

        // Warm-up is not counted: from here on, requests that start are measured.
        await Task.Delay(warmup);
        var split0 = ProcStat.CpuTicksSplit(target.Pids);
        var threads0 = target.Pid is { } q0 ? ProcStat.ThreadTicks(q0) : [];
        var sim0 = simulatorPid is { } s0 ? ProcStat.CpuTicks(s0) : 0;
        var self0 = Process.GetCurrentProcess().TotalProcessorTime;
        var t0 = Stopwatch.GetTimestamp();
        Volatile.Write(ref state.MeasureFrom, t0);

        await Task.WhenAll(tasks);
        var t1 = Stopwatch.GetTimestamp();
        var split1 = ProcStat.CpuTicksSplit(target.Pids);
        var threads1 = target.Pid is { } q1 ? ProcStat.ThreadTicks(q1) : [];
        var cpu0 = split0.User + split0.System;
        var cpu1 = split1.User + split1.System;
        var sim1 = simulatorPid is { } s1 ? ProcStat.CpuTicks(s1) : 0;
        var self1 = Process.GetCurrentProcess().TotalProcessorTime;

        var latencies = new List<double>();
        var ttfbs = new List<double>();
        long errors = 0, bytes = 0;
        string? firstError = null;
        foreach (var w in workers)
        {
            latencies.AddRange(w.Latencies);
            ttfbs.AddRange(w.Ttfbs);
            errors += w.Errors;
            bytes += w.Bytes;
            firstError ??= w.FirstError;
        }
        var requests = latencies.Count;
        var seconds = Stopwatch.GetElapsedTime(t0, t1).TotalSeconds;
        double? PerRequest(long ticks) => requests == 0 ? null : ticks * 1e6 / clockTicks / requests;
        return new RunResult(
            target.Name, scenario.Name, concurrency, requests, errors, seconds, requests / seconds,
            Percentiles.Of(latencies), Percentiles.Of(ttfbs),
            target.Pid is null ? null : PerRequest(cpu1 - cpu0),
            simulatorPid is null ? null : PerRequest(sim1 - sim0),
            requests == 0 ? 0 : (self1 - self0).TotalMicroseconds / requests,
            bytes, firstError)
        {
            TargetSystemShare = cpu1 > cpu0 ? (double)(split1.System - split0.System) / (cpu1 - cpu0) : null,
            TargetThreadsUsPerRequest = target.Pid is null || requests == 0 ? null : Breakdown(threads0, threads1, cpu1 - cpu0, requests, clockTicks),
        };
    }

    /// <summary>
    /// Per-thread deltas summed by thread name. A thread that exited during the run (thread-pool threads retire) took its
    /// ticks with it: that remainder is reported as "(exited threads)".
    /// </summary>
    private static List<KeyValuePair<string, double>> Breakdown(Dictionary<string, (string Name, long Ticks)> before,
        Dictionary<string, (string Name, long Ticks)> after, long totalTicks, long requests, int clockTicks)
    {
        var byName = new Dictionary<string, long>(StringComparer.Ordinal);
        long accounted = 0;
        foreach (var (tid, a) in after)
        {
            var delta = a.Ticks - (before.TryGetValue(tid, out var b) ? b.Ticks : 0);
            if (delta <= 0) continue;
            accounted += delta;
            byName[a.Name] = byName.GetValueOrDefault(a.Name) + delta;
        }
        if (totalTicks > accounted) byName["(exited threads)"] = totalTicks - accounted;
        return byName.Select(kv => new KeyValuePair<string, double>(kv.Key, kv.Value * 1e6 / clockTicks / requests))
            .OrderByDescending(kv => kv.Value).ToList();
    }

    private static long Ticks(TimeSpan span) => (long)(span.TotalSeconds * Stopwatch.Frequency);

    private sealed class RunState(long stopAt, long maxRequests)
    {
        public readonly long StopAt = stopAt;
        public readonly long MaxRequests = maxRequests;
        public long MeasureFrom = long.MaxValue;
        public long Started;
    }

    private sealed class Worker
    {
        public readonly List<double> Latencies = new(1 << 16);
        public readonly List<double> Ttfbs = new(1 << 16);
        public long Errors;
        public long Bytes;
        public string? FirstError;
        public byte[] Buffer = new byte[64 * 1024];
    }

    private static async Task WorkAsync(Worker w, Target target, Scenario scenario, RunState state, CancellationToken hardStop)
    {
        while (!hardStop.IsCancellationRequested
               && Stopwatch.GetTimestamp() < state.StopAt
               && Interlocked.Increment(ref state.Started) <= state.MaxRequests)
        {
            var begin = Stopwatch.GetTimestamp();
            var measured = begin >= Volatile.Read(ref state.MeasureFrom);
            var outcome = await SendAsync(target, scenario, w, hardStop);
            if (!measured) continue;
            if (outcome.Error is not null)
            {
                w.Errors++;
                w.FirstError ??= outcome.Error;
                continue;
            }
            w.Latencies.Add(outcome.LatencyMs);
            w.Ttfbs.Add(outcome.TtfbMs);
            w.Bytes += outcome.Bytes;
        }
    }

    /// <summary>One request outside any run (preflight); null when it succeeded, else what went wrong.</summary>
    public static async Task<string?> ProbeAsync(Target target, Scenario scenario)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        return (await SendAsync(target, scenario, new Worker(), timeout.Token)).Error;
    }

    private readonly record struct Outcome(double LatencyMs, double TtfbMs, int Bytes, string? Error);

    /// <summary>Sends one request and reads the whole answer; latency and time to first body byte from just before the send.</summary>
    private static async Task<Outcome> SendAsync(Target target, Scenario scenario, Worker w, CancellationToken hardStop)
    {
        Interlocked.Increment(ref target.Sent);
        var begin = Stopwatch.GetTimestamp();
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, target.NextUrl())
            {
                Version = HttpVersion.Version11,
                VersionPolicy = HttpVersionPolicy.RequestVersionExact,
                Content = new ByteArrayContent(scenario.NextBody()),
            };
            request.Content.Headers.TryAddWithoutValidation("Content-Type", "application/json");
            request.Headers.TryAddWithoutValidation("Authorization", target.Authorization);
            if (scenario.SimLatencyMs > 0) request.Headers.TryAddWithoutValidation("x-sim-latency-ms", scenario.SimLatencyMs.ToString(System.Globalization.CultureInfo.InvariantCulture));
            if (scenario.SimOutputTokens > 0) request.Headers.TryAddWithoutValidation("x-sim-output-tokens", scenario.SimOutputTokens.ToString(System.Globalization.CultureInfo.InvariantCulture));
            using var response = await target.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, hardStop);
            await using var body = await response.Content.ReadAsStreamAsync(hardStop);
            var filled = 0;
            var ttfb = double.NaN;
            while (true)
            {
                if (filled == w.Buffer.Length) Array.Resize(ref w.Buffer, w.Buffer.Length * 2);
                var read = await body.ReadAsync(w.Buffer.AsMemory(filled), hardStop);
                if (read == 0) break;
                if (filled == 0) ttfb = Stopwatch.GetElapsedTime(begin).TotalMilliseconds;
                filled += read;
            }
            var latency = Stopwatch.GetElapsedTime(begin).TotalMilliseconds;
            return new Outcome(latency, ttfb, filled, Check(response, scenario, w.Buffer.AsSpan(0, filled)));
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException or OperationCanceledException)
        {
            return new Outcome(0, 0, 0, ex.GetType().Name + ": " + ex.Message);
        }
    }

    /// <summary>A complete, successful answer: 200, and the usage (JSON) or the [DONE] terminator (streams).</summary>
    private static string? Check(HttpResponseMessage response, Scenario scenario, ReadOnlySpan<byte> body)
    {
        if (response.StatusCode != HttpStatusCode.OK)
            return $"HTTP {(int)response.StatusCode}: {Encoding.UTF8.GetString(body[..Math.Min(body.Length, 300)])}";
        if (scenario.Stream ? !body.EndsWith(DoneMarker) : body.IndexOf(UsageMarker) < 0)
            return $"incomplete {scenario.Name} body ({body.Length} bytes)";
        return null;
    }
}
