using System.Text.Json;
using System.Text.Json.Serialization;
using TokenOps.Core.Ledger;

namespace TokenOps.Storage.Journal;

/// <summary>
/// The outbox: every ledger event is appended here (one JSON line) before the response that caused it completes, so a
/// kill -9 loses nothing the client saw. Segments are memory-mapped files: an append is a copy into the page cache,
/// which outlives the process, with no system call per event (a write per event was 2–3 % of the gateway's CPU).
/// With flushToDisk the mapped pages are also synced to disk on every append (power-loss safety, at a price).
/// Segments rotate; a closed segment is cut to its written length, and deleted once the store has committed its events.
/// On start, leftover segments are replayed (store writes are idempotent); a crash leaves zeros after the last line.
/// <para>
/// The journal never stops recording for good and never takes the process down. A segment's blocks are allocated
/// when it is created (a mapped write cannot hit a full disk), after a free-space check. When the next segment cannot
/// be created (full disk, directory gone or unwritable), the current one keeps taking events while it has room and
/// creation is retried with backoff; a segment rotates while it still has <see cref="Headroom"/> left, so that room
/// absorbs the requests in flight once new ones are refused (<see cref="Health"/> turns Unavailable). Past it,
/// <see cref="Append"/> returns <see cref="NotJournalled"/> and the event lives only in the writer's queue.
/// </para>
/// </summary>
public sealed class LedgerJournal : IDisposable
{
    /// <summary>The segment number <see cref="Append"/> returns for an event it could not journal.</summary>
    public const long NotJournalled = 0;
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(1);
    private readonly string _directory;
    private readonly JournalSettings _settings;
    private readonly Lock _gate = new();
    private readonly Dictionary<long, JournalSegment> _segments = [];
    /// <summary>Committed segments whose file could not be deleted yet (directory unreachable); retried on rotation.</summary>
    private readonly List<string> _undeleted = [];
    private readonly List<string> _recovered;
    private JournalSegment? _current;
    private long _nextNumber;
    private readonly RetryBackoff _retry = new(TimeSpan.FromMilliseconds(50), MaxRetryDelay);
    private string? _lastFailure;
    private readonly Action<JournalHealth>? _onHealthChange;
    private volatile JournalHealth _health = JournalHealth.Healthy;

    public LedgerJournal(string directory, bool flushToDisk = false) : this(directory, new JournalSettings { FlushToDisk = flushToDisk })
    {
    }

    /// <param name="onHealthChange">Told of every state change (for the log); called under the journal's lock.</param>
    public LedgerJournal(string directory, JournalSettings settings, Action<JournalHealth>? onHealthChange = null)
    {
        _directory = directory;
        _settings = settings;
        _onHealthChange = onHealthChange;
        Headroom = Math.Max(4096, settings.SegmentBytes / 8);
        Directory.CreateDirectory(directory);
        _recovered = Directory.GetFiles(directory, "*.jsonl").Order(StringComparer.Ordinal).ToList();
        _nextNumber = _recovered.Count == 0 ? 1 : long.Parse(Path.GetFileNameWithoutExtension(_recovered[^1]), System.Globalization.CultureInfo.InvariantCulture) + 1;
        // A full disk at start is not fatal: the gateway starts, refuses to forward, and /healthz says why.
        lock (_gate) TryRotate(settings.SegmentBytes);
    }

    /// <summary>Room a segment keeps in reserve: it rotates once less is left, and if rotation fails the journal turns
    /// Unavailable while this much remains, for the events of requests already in flight.</summary>
    public long Headroom { get; }

    /// <summary>Read without a lock; replaced on every state change.</summary>
    public JournalHealth Health => _health;

    /// <summary>Retries a failed segment creation once its backoff has passed, and returns the health that results.
    /// Called by the admission check and /healthz, so the journal recovers even while no event arrives.</summary>
    public JournalHealth Probe()
    {
        if (_health.State == JournalState.Healthy) return _health;
        lock (_gate)
        {
            if (_current is null || NeedsRotation(_current)) TryRotate(_settings.SegmentBytes);
            return _health;
        }
    }

    /// <summary>Events left by a previous process, in order; torn or corrupt lines (a crash mid-write) and the zeros
    /// after the last line of a segment that was never closed are skipped.</summary>
    public IEnumerable<LedgerEntry> ReadRecovered()
    {
        foreach (var file in _recovered)
        {
            var bytes = File.ReadAllBytes(file);
            var end = bytes.AsSpan().IndexOf((byte)0);
            ReadOnlyMemory<byte> rest = bytes.AsMemory(0, end < 0 ? bytes.Length : end);
            while (!rest.IsEmpty)
            {
                var newline = rest.Span.IndexOf((byte)'\n');
                var line = newline < 0 ? rest : rest[..newline];
                rest = newline < 0 ? ReadOnlyMemory<byte>.Empty : rest[(newline + 1)..];
                LedgerEntry? entry = null;
                try { entry = JsonSerializer.Deserialize(line.Span, JournalJson.Default.LedgerEntry); }
                catch (JsonException) { }
                if (entry is not null) yield return entry;
            }
        }
    }

    /// <summary>Deletes the replayed segments once the store holds their events.</summary>
    public void DiscardRecovered()
    {
        foreach (var file in _recovered) File.Delete(file);
        _recovered.Clear();
    }

    /// <summary>Appends one event durably; returns the segment that holds it (for <see cref="MarkCommitted"/>), or
    /// <see cref="NotJournalled"/> when no segment has room for it. Never throws for a disk or directory problem.</summary>
    public long Append(LedgerEntry entry)
    {
        var line = JsonSerializer.SerializeToUtf8Bytes(entry, JournalJson.Default.LedgerEntry);
        var size = line.Length + 1;
        lock (_gate)
        {
            var segment = _current;
            if (segment is null || segment.Remaining < size)
            {
                if (!TryRotate(Math.Max(_settings.SegmentBytes, size + Headroom))) return NotJournalled;
                segment = _current!;
            }
            segment.Write(line, _settings.FlushToDisk);
            segment.Appended++;
            // Not rotated (a failure, or its retry not yet due): the headroom may just have run out.
            if (NeedsRotation(segment) && !TryRotate(_settings.SegmentBytes)) SetHealth();
            return segment.Number;
        }
    }

    private bool NeedsRotation(JournalSegment segment) =>
        segment.Appended >= _settings.EventsPerSegment || segment.Remaining < Headroom;

    /// <summary>Opens the next segment and closes the current one; on failure keeps the current one and schedules a
    /// retry. Called under the gate.</summary>
    private bool TryRotate(long capacity)
    {
        if (!_retry.Due) return false;
        var number = _nextNumber;
        JournalSegment next;
        try
        {
            next = JournalSegment.Create(number, SegmentPath(number), capacity, _settings.MinFreeBytes);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            _retry.Failed();
            _lastFailure = $"cannot create a journal segment: {ex.Message}";
            SetHealth();
            return false;
        }
        _retry.Succeeded();
        _lastFailure = null;
        _nextNumber++;
        var full = _current;
        _current = next;
        _segments[number] = next;
        if (full is not null)
        {
            full.Close();
            if (full.Committed >= full.Appended) Delete(full);
        }
        RetryDeletes();
        SetHealth();
        return true;
    }

    /// <summary>Derives the state from the current segment and the last failed rotation (cleared when one succeeds).</summary>
    private void SetHealth()
    {
        JournalHealth next;
        if (_lastFailure is null && _current is not null) next = JournalHealth.Healthy;
        else
        {
            var state = _current is null || _current.Remaining < Headroom ? JournalState.Unavailable : JournalState.Degraded;
            next = new JournalHealth(state, _lastFailure ?? "no journal segment is open", _health.Since ?? DateTimeOffset.UtcNow);
        }
        if (next.State == _health.State && next.Problem == _health.Problem) return;
        _health = next;
        _onHealthChange?.Invoke(next);
    }

    /// <summary>Records that the store committed <paramref name="count"/> events of a segment; deletes it when complete.</summary>
    public void MarkCommitted(long segmentNumber, int count)
    {
        lock (_gate)
        {
            if (!_segments.TryGetValue(segmentNumber, out var segment)) return;
            segment.Committed += count;
            if (segment.Closed && segment.Committed >= segment.Appended) Delete(segment);
        }
    }

    public int SegmentFileCount => Directory.GetFiles(_directory, "*.jsonl").Length;

    private string SegmentPath(long number) =>
        Path.Combine(_directory, number.ToString("D10", System.Globalization.CultureInfo.InvariantCulture) + ".jsonl");

    private void Delete(JournalSegment segment)
    {
        _segments.Remove(segment.Number);
        if (!TryDelete(segment.Path)) _undeleted.Add(segment.Path);
    }

    private void RetryDeletes() => _undeleted.RemoveAll(TryDelete);

    /// <summary>A committed segment left behind is harmless (a replay is idempotent), so failing to delete is not an error.</summary>
    private static bool TryDelete(string path)
    {
        try
        {
            File.Delete(path);
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_current is null) return;
            _current.Close();
            // A clean shutdown with everything committed leaves no journal behind.
            if (_current.Committed >= _current.Appended) Delete(_current);
        }
    }
}

/// <summary>Exponential backoff between attempts, on the monotonic millisecond clock (no system call to read).</summary>
internal sealed class RetryBackoff(TimeSpan first, TimeSpan max)
{
    private long _dueAt;
    private int _failures;

    public bool Due => _failures == 0 || Environment.TickCount64 >= _dueAt;

    public void Failed()
    {
        var delay = Math.Min(max.TotalMilliseconds, first.TotalMilliseconds * Math.Pow(2, Math.Min(_failures, 16)));
        _failures++;
        _dueAt = Environment.TickCount64 + (long)delay;
    }

    public void Succeeded() => _failures = 0;
}

[JsonSerializable(typeof(LedgerEntry))]
[JsonSourceGenerationOptions(UseStringEnumConverter = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
internal sealed partial class JournalJson : JsonSerializerContext;
