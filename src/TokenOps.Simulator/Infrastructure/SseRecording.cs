using System.Buffers;

namespace TokenOps.Simulator.Infrastructure;

/// <summary>
/// A stream's events rendered ahead, each with the time (from the stream's start) it goes out, and the point where
/// the job behind it finishes. Replaying it paces the events as the live stream would have, from any event on, so
/// a client that left can resume (<c>starting_after</c>) and the job still ends on time without it.
/// </summary>
internal sealed class SseRecording
{
    private readonly List<(long AtMs, byte[] Bytes)> _events = [];
    private long _clockMs;

    /// <summary>The bytes of the event being written.</summary>
    public ArrayBufferWriter<byte> Pending { get; } = new();

    public IReadOnlyList<(long AtMs, byte[] Bytes)> Events => _events;

    /// <summary>The index of the first event written after the job finished (its terminal events), and when that was.</summary>
    public int JobDoneAt { get; private set; } = -1;

    public long JobDoneAtMs { get; private set; }

    /// <summary>Moves the stream's clock on, as a live stream waits between events.</summary>
    public void Wait(long ms) => _clockMs += Math.Max(0, ms);

    public void EndEvent()
    {
        _events.Add((_clockMs, Pending.WrittenSpan.ToArray()));
        Pending.ResetWrittenCount();
    }

    public void MarkJobDone() => (JobDoneAt, JobDoneAtMs) = (_events.Count, _clockMs);
}
