using System.Globalization;
using Microsoft.AspNetCore.Http;
using TokenOps.Core.Metering;
using TokenOps.Simulator.Generation;

namespace TokenOps.Simulator.Protocols;

/// <summary>Request headers the simulator understands (besides each protocol's own).</summary>
public static class SimHeaders
{
    /// <summary><c>error:&lt;status&gt;</c>, <c>midstream</c>, <c>nousage</c>, <c>malformed</c>, <c>hang</c>, <c>leak</c> or <c>leak:&lt;status&gt;</c>.</summary>
    public const string Fault = "x-sim-fault";

    internal const string FaultHelp = "Use error:<status>, midstream, nousage, malformed, hang, leak or leak:<status>.";

    /// <summary>Milliseconds before the response (non-streamed) or the first token (streamed, unless x-sim-ttft-ms).</summary>
    public const string LatencyMs = "x-sim-latency-ms";

    /// <summary>Milliseconds before the first token of a stream (wins over x-sim-latency-ms for streams).</summary>
    public const string TtftMs = "x-sim-ttft-ms";

    /// <summary>Milliseconds between streamed content events.</summary>
    public const string ChunkDelayMs = "x-sim-chunk-delay-ms";

    /// <summary>
    /// Output tokens outright (1..100,000), instead of the natural 20..200: for benchmarks that need an answer of a
    /// given size (a 4 KB cached answer is about 700 words). Reasoning models keep their 40 % reasoning share.
    /// </summary>
    public const string OutputTokens = "x-sim-output-tokens";
}

/// <summary>Shared services of the simulator endpoints: options, bill, prompt cache, fault injector, ids, clock.</summary>
internal sealed class SimHost(SimulatorOptions options, SimulatorBill bill, SimulatorPromptCache promptCache)
{
    private readonly string _tag = Guid.NewGuid().ToString("N")[..8];
    private readonly FaultInjector _faults = new(options);
    private long _counter;

    public SimulatorOptions Options { get; } = options;

    public SimulatorBill Bill { get; } = bill;

    public SimulatorPromptCache PromptCache { get; } = promptCache;

    public string NewId(string prefix) =>
        string.Create(CultureInfo.InvariantCulture, $"{prefix}sim{_tag}{Interlocked.Increment(ref _counter):x12}");

    /// <summary>The fault for this request: the x-sim-fault header if present (false when it cannot be parsed), else random.</summary>
    public bool TryResolveFault(HttpContext context, out SimFault fault)
    {
        var header = context.Request.Headers[SimHeaders.Fault];
        if (header.Count > 0)
        {
            return SimFault.TryParse(header.ToString(), out fault);
        }

        fault = _faults.Next();
        return true;
    }

    public SimCall NewCall(HttpContext context, string protocol, string id, string model, UsagePlan plan, ServiceTier tier, SimFault fault, bool stream)
    {
        var headers = context.Request.Headers;
        var latency = HeaderInt(headers, SimHeaders.LatencyMs);
        var ttft = HeaderInt(headers, SimHeaders.TtftMs);
        var now = Options.TimeProvider.GetUtcNow();
        return new SimCall(this, context, protocol, id, model, plan, tier, fault, stream, now)
        {
            DelayBeforeFirstByteMs = stream
                ? ttft ?? latency ?? Options.LatencyMs
                : latency ?? ttft ?? Options.LatencyMs,
            ChunkDelayMs = HeaderInt(headers, SimHeaders.ChunkDelayMs) ?? Options.InterChunkDelayMs,
        };
    }

    /// <summary>The plan with <see cref="SimHeaders.OutputTokens"/> applied, when the request sends it (chat and messages).</summary>
    public static UsagePlan WithOutputOverride(HttpContext context, UsagePlan plan) =>
        HeaderInt(context.Request.Headers, SimHeaders.OutputTokens) is { } output and >= 1 and <= 100_000
            ? plan with { Output = output, Reasoning = plan.Reasoning > 0 ? output * 2 / 5 : 0, Truncated = false }
            : plan;

    private static int? HeaderInt(IHeaderDictionary headers, string name) =>
        headers.TryGetValue(name, out var value)
        && int.TryParse(value.ToString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var ms)
        && ms >= 0
            ? ms
            : null;
}

/// <summary>One generating request: what it will report, and its single bill entry.</summary>
internal sealed class SimCall(
    SimHost host,
    HttpContext context,
    string protocol,
    string id,
    string model,
    UsagePlan plan,
    ServiceTier tier,
    SimFault fault,
    bool stream,
    DateTimeOffset createdAt)
{
    private int _recorded;

    public HttpContext Http { get; } = context;

    public string Id { get; } = id;

    public string Model { get; } = model;

    public UsagePlan Plan { get; } = plan;

    public SimFault Fault { get; } = fault;

    public bool Stream { get; } = stream;

    public ServiceTier Tier { get; } = tier;

    public DateTimeOffset CreatedAt { get; } = createdAt;

    public long Created => CreatedAt.ToUnixTimeSeconds();

    public int DelayBeforeFirstByteMs { get; init; }

    public int ChunkDelayMs { get; init; }

    public CancellationToken Aborted => Http.RequestAborted;

    /// <summary>The response is billed by a job of its own (a streamed background response): the stream records nothing.</summary>
    public void BilledByTheJob() => Interlocked.Exchange(ref _recorded, 1);

    /// <summary>Records the bill entry once; later calls do nothing.</summary>
    public void Record(bool completed)
    {
        if (Interlocked.Exchange(ref _recorded, 1) != 0 || !host.Options.RecordBill)
        {
            return;
        }

        host.Bill.Record(new BillEntry(Id, protocol, Model, Plan.ToTokenUsage(Tier), Stream, completed, CreatedAt)
        {
            Fault = Fault.Spec,
        });
    }

    public Task DelayAsync(int ms) => ms > 0 ? Task.Delay(ms, Aborted) : Task.CompletedTask;

    /// <summary>Hang fault: bill as incomplete, then wait until the client gives up.</summary>
    public async Task HangAsync()
    {
        Record(completed: false);
        await Task.Delay(Timeout.Infinite, Aborted);
    }

    /// <summary>
    /// Midstream fault: bill as incomplete and drop the connection. Aborting discards output the transport has not
    /// sent yet, so the flushed part gets a moment to reach the client first.
    /// </summary>
    public async Task AbortConnectionAsync()
    {
        Record(completed: false);
        try
        {
            await Task.Delay(50, Aborted);
        }
        finally
        {
            Http.Abort();
        }
    }

    /// <summary>
    /// Runs the response writer; a client that goes away (cancellation, I/O error) still gets billed for what was
    /// generated, as incomplete.
    /// </summary>
    public async Task RunAsync(Func<SimCall, Task> writer)
    {
        try
        {
            await writer(this);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException)
        {
            Record(completed: false);
        }
    }
}
