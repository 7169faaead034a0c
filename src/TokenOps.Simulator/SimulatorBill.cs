using TokenOps.Core.Metering;

namespace TokenOps.Simulator;

/// <summary>Protocol names used in <see cref="BillEntry.Protocol"/>.</summary>
public static class SimProtocols
{
    public const string OpenAIChat = "openai.chat";
    public const string OpenAIResponses = "openai.responses";
    public const string OpenAIEmbeddings = "openai.embeddings";
    public const string OpenAICompletions = "openai.completions";
    public const string OpenAIImages = "openai.images";
    public const string OpenAISpeech = "openai.speech";
    public const string OpenAITranscriptions = "openai.transcriptions";
    public const string OpenAITranslations = "openai.translations";
    public const string AnthropicMessages = "anthropic.messages";
    /// <summary>One line of an OpenAI batch (billed at batch rates: <see cref="ServiceTier.Batch"/>).</summary>
    public const string OpenAIBatch = "openai.batch";
    /// <summary>One request of an Anthropic message batch (billed at batch rates).</summary>
    public const string AnthropicBatch = "anthropic.batch";
}

/// <summary>
/// What the simulated provider would charge for one request, in canonical buckets (REFERENCE.md 3.4):
/// OpenAI uncached input = prompt - cached; Output includes Reasoning; Tier from the echoed service_tier.
/// </summary>
/// <param name="Id">The response id the client saw (chatcmpl-, resp_, msg_; embeddings: the x-request-id header, emb_).</param>
/// <param name="Completed">False when the response was cut short (midstream fault, hang, client abort).</param>
/// <param name="Timestamp">The response's creation time (from the simulator's TimeProvider).</param>
public sealed record BillEntry(
    string Id,
    string Protocol,
    string Model,
    TokenUsage Usage,
    bool Streamed,
    bool Completed,
    DateTimeOffset Timestamp)
{
    /// <summary>The fault injected into this request (x-sim-fault syntax), or null.</summary>
    public string? Fault { get; init; }
}

/// <summary>Thread-safe record of every request that generated tokens. Errors before generation record nothing.</summary>
public sealed class SimulatorBill
{
    private readonly List<BillEntry> _entries = [];
    private readonly Lock _lock = new();

    public void Record(BillEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        lock (_lock)
        {
            _entries.Add(entry);
        }
    }

    /// <summary>A snapshot, in recording order.</summary>
    public IReadOnlyList<BillEntry> Entries
    {
        get
        {
            lock (_lock)
            {
                return [.. _entries];
            }
        }
    }

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _entries.Count;
            }
        }
    }

    /// <summary>The entry with this response id, or null.</summary>
    public BillEntry? Find(string id)
    {
        lock (_lock)
        {
            for (var i = _entries.Count - 1; i >= 0; i--)
            {
                if (_entries[i].Id == id)
                {
                    return _entries[i];
                }
            }
        }

        return null;
    }

    public void Reset()
    {
        lock (_lock)
        {
            _entries.Clear();
        }
    }
}
