using System.Buffers;
using System.Text.Json;
using TokenOps.Core.Metering;
using TokenOps.Simulator.Generation;
using TokenOps.Simulator.Infrastructure;

namespace TokenOps.Simulator.Protocols.Batches;

/// <summary>
/// The simulator's files and batches (both protocols), in memory. A batch moves on the simulator's clock: it ends
/// <see cref="SimulatorOptions.BatchProcessingTime"/> after creation (every line run then, deterministically: the same
/// usage rules as the synchronous endpoints, without the prompt cache, billed at <see cref="ServiceTier.Batch"/>), or
/// expires unprocessed at <see cref="SimulatorOptions.BatchExpiry"/>; a cancelled batch ends at its next read with every
/// line cancelled. A line whose body has <c>"sim_fault": "error:&lt;status&gt;"</c> errors (nothing billed).
/// </summary>
internal sealed class SimBatches(SimHost host)
{
    private readonly Dictionary<string, SimFile> _files = new(StringComparer.Ordinal);
    private readonly Dictionary<string, SimBatch> _batches = new(StringComparer.Ordinal);
    private readonly List<SimBatch> _order = [];
    private readonly Lock _lock = new();

    public SimHost Host { get; } = host;

    public DateTimeOffset Now => Host.Options.TimeProvider.GetUtcNow();

    public SimFile AddFile(string filename, string purpose, byte[] content)
    {
        var file = new SimFile(Host.NewId("file-"), filename, purpose, content, Now);
        lock (_lock) _files[file.Id] = file;
        return file;
    }

    public SimFile? File(string id)
    {
        lock (_lock) return _files.GetValueOrDefault(id);
    }

    public void Add(SimBatch batch)
    {
        lock (_lock)
        {
            _batches[batch.Id] = batch;
            _order.Add(batch);
        }
    }

    /// <summary>The batch, advanced to the simulator's now; null when unknown (or of the other protocol).</summary>
    public SimBatch? Get(string id, bool anthropic)
    {
        lock (_lock)
        {
            if (!_batches.TryGetValue(id, out var batch) || batch.Anthropic != anthropic) return null;
            Advance(batch, Now);
            return batch;
        }
    }

    /// <summary>Batches of one protocol, newest first, advanced to now.</summary>
    public List<SimBatch> List(bool anthropic)
    {
        lock (_lock)
        {
            var now = Now;
            var list = new List<SimBatch>();
            for (var i = _order.Count - 1; i >= 0; i--)
            {
                if (_order[i].Anthropic != anthropic) continue;
                Advance(_order[i], now);
                list.Add(_order[i]);
            }
            return list;
        }
    }

    /// <summary>Asks a running batch to stop; false when it has already ended (the caller answers with the protocol's error).</summary>
    public bool Cancel(SimBatch batch)
    {
        lock (_lock)
        {
            Advance(batch, Now);
            if (batch.Ended) return false;
            if (batch.Phase == SimBatchPhase.InProgress)
            {
                batch.Phase = SimBatchPhase.Cancelling;
                batch.CancellingAt = Now;
            }
            return true;
        }
    }

    private void Advance(SimBatch batch, DateTimeOffset now)
    {
        switch (batch.Phase)
        {
            case SimBatchPhase.Cancelling:
                End(batch, SimBatchPhase.Cancelled, batch.CancellingAt ?? now);
                break;
            case SimBatchPhase.InProgress when batch.DueAt < batch.ExpiresAt && now >= batch.DueAt:
                End(batch, SimBatchPhase.Completed, batch.DueAt);
                break;
            case SimBatchPhase.InProgress when now >= batch.ExpiresAt:
                End(batch, SimBatchPhase.Expired, batch.ExpiresAt);
                break;
        }
    }

    private void End(SimBatch batch, SimBatchPhase phase, DateTimeOffset at)
    {
        var output = new ArrayBufferWriter<byte>();
        var errors = new ArrayBufferWriter<byte>();
        foreach (var line in batch.Lines)
        {
            var result = phase == SimBatchPhase.Completed ? Run(batch, line, at) : LineResult.NotRun(phase == SimBatchPhase.Expired);
            switch (result.Kind)
            {
                case LineKind.Succeeded: batch.Succeeded++; break;
                case LineKind.Errored: batch.Errored++; break;
                case LineKind.Canceled: batch.Canceled++; break;
                default: batch.Expired++; break;
            }
            var target = batch.Anthropic || result.Kind == LineKind.Succeeded ? output : errors;
            using (var json = new Utf8JsonWriter(target, JsonSettings.WriterOptions))
            {
                if (batch.Anthropic) BatchLineWriter.AnthropicResult(json, line, result);
                else BatchLineWriter.OpenAIResult(json, Host, line, result);
            }
            target.Write("\n"u8);
        }

        if (batch.Anthropic)
        {
            batch.Results = output.WrittenSpan.ToArray();
        }
        else
        {
            if (output.WrittenCount > 0) batch.OutputFileId = AddGenerated(batch, "output", output, at);
            if (errors.WrittenCount > 0) batch.ErrorFileId = AddGenerated(batch, "error", errors, at);
        }
        batch.Phase = phase;
        batch.EndedAt = at;
    }

    private string AddGenerated(SimBatch batch, string kind, ArrayBufferWriter<byte> content, DateTimeOffset at)
    {
        var file = new SimFile(Host.NewId("file-"), $"{batch.Id}_{kind}.jsonl", "batch_output", content.WrittenSpan.ToArray(), at);
        _files[file.Id] = file;
        return file.Id;
    }

    /// <summary>Runs one line: its usage by the synchronous endpoints' rules, billed at batch rates; or its injected error.</summary>
    private LineResult Run(SimBatch batch, SimBatchLine line, DateTimeOffset at)
    {
        var body = line.Body;
        if (body.StringProp("sim_fault"u8) is { } spec && SimFault.TryParse(spec, out var fault) && fault.Kind == SimFaultKind.Error)
            return LineResult.Error(fault.Status);
        var model = body.StringProp("model"u8) ?? "unknown";
        UsagePlan plan;
        if (batch.Anthropic)
        {
            var max = body.Prop("max_tokens"u8) is { ValueKind: JsonValueKind.Number } m && m.TryGetInt64(out var v) ? v : 1024;
            plan = UsageRules.AnthropicMessages(body, model, max);
        }
        else
        {
            long? max = null;
            foreach (var name in new[] { "max_completion_tokens", "max_tokens" })
                if (max is null && body.TryGetProperty(name, out var e) && e.ValueKind == JsonValueKind.Number && e.TryGetInt64(out var n)) max = n;
            plan = UsageRules.OpenAIChat(body, model, max);
        }
        var id = Host.NewId(batch.Anthropic ? "msg_" : "chatcmpl-");
        if (Host.Options.RecordBill)
            Host.Bill.Record(new BillEntry(id, batch.Anthropic ? SimProtocols.AnthropicBatch : SimProtocols.OpenAIBatch, model,
                plan.ToTokenUsage(ServiceTier.Batch), Streamed: false, Completed: true, at));
        return LineResult.Ok(id, model, plan, at);
    }
}

internal enum LineKind
{
    Succeeded,
    Errored,
    Canceled,
    Expired,
}

/// <summary>What happened to one line.</summary>
internal sealed record LineResult(LineKind Kind, string? Id = null, string? Model = null, UsagePlan? Plan = null, DateTimeOffset At = default, int Status = 0)
{
    public static LineResult Ok(string id, string model, UsagePlan plan, DateTimeOffset at) => new(LineKind.Succeeded, id, model, plan, at);

    public static LineResult Error(int status) => new(LineKind.Errored, Status: status);

    public static LineResult NotRun(bool expired) => new(expired ? LineKind.Expired : LineKind.Canceled);
}
