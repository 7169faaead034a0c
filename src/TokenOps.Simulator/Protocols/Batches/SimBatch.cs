using System.Text.Json;

namespace TokenOps.Simulator.Protocols.Batches;

/// <summary>An uploaded or generated file (OpenAI Files API): the bytes as sent, kept in memory.</summary>
internal sealed record SimFile(string Id, string Filename, string Purpose, byte[] Content, DateTimeOffset CreatedAt);

/// <summary>One request of a batch: the client's id and the request body (OpenAI <c>body</c>, Anthropic <c>params</c>).</summary>
internal sealed record SimBatchLine(string CustomId, JsonElement Body);

/// <summary>Where a batch is. Transitions happen when the batch is read, on the simulator's clock (<see cref="SimBatches.Advance"/>).</summary>
internal enum SimBatchPhase
{
    InProgress,
    Cancelling,
    Completed,
    Cancelled,
    Expired,
    /// <summary>OpenAI only: the input file did not validate; nothing ran.</summary>
    Failed,
}

/// <summary>A validation error of an OpenAI batch input (the batch's <c>errors.data</c>).</summary>
internal sealed record SimBatchError(string Code, string Message, int? Line);

/// <summary>One batch of either protocol, with its results once it has ended.</summary>
internal sealed class SimBatch(string id, bool anthropic, IReadOnlyList<SimBatchLine> lines, DateTimeOffset createdAt, DateTimeOffset dueAt, DateTimeOffset expiresAt)
{
    public string Id { get; } = id;
    public bool Anthropic { get; } = anthropic;
    public IReadOnlyList<SimBatchLine> Lines { get; } = lines;
    public DateTimeOffset CreatedAt { get; } = createdAt;
    /// <summary>When processing finishes (created + <see cref="SimulatorOptions.BatchProcessingTime"/>).</summary>
    public DateTimeOffset DueAt { get; } = dueAt;
    public DateTimeOffset ExpiresAt { get; } = expiresAt;

    // OpenAI fields.
    public string Endpoint { get; init; } = "";
    public string InputFileId { get; init; } = "";
    public string CompletionWindow { get; init; } = "24h";
    /// <summary>The metadata object as the client sent it (raw JSON), or null.</summary>
    public string? Metadata { get; init; }
    public IReadOnlyList<SimBatchError> Errors { get; init; } = [];

    public SimBatchPhase Phase { get; set; }
    public DateTimeOffset? CancellingAt { get; set; }
    public DateTimeOffset? EndedAt { get; set; }
    public string? OutputFileId { get; set; }
    public string? ErrorFileId { get; set; }

    /// <summary>Anthropic results (.jsonl), in request order, once ended.</summary>
    public byte[]? Results { get; set; }

    public int Succeeded { get; set; }
    public int Errored { get; set; }
    public int Canceled { get; set; }
    public int Expired { get; set; }

    public bool Ended => Phase is SimBatchPhase.Completed or SimBatchPhase.Cancelled or SimBatchPhase.Expired or SimBatchPhase.Failed;
}
