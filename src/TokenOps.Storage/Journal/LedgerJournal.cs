using System.Text.Json;
using System.Text.Json.Serialization;
using TokenOps.Core.Ledger;

namespace TokenOps.Storage.Journal;

/// <summary>
/// The outbox: every ledger event is appended here (one JSON line, written through to the OS) before the response
/// that caused it completes, so a kill -9 loses nothing the client saw. Segments rotate; a closed segment whose events
/// the store has committed is deleted. On start, leftover segments are replayed (store writes are idempotent).
/// </summary>
public sealed class LedgerJournal : IDisposable
{
    private const int EventsPerSegment = 4096;
    private readonly string _directory;
    private readonly bool _flushToDisk;
    private readonly Lock _gate = new();
    private readonly Dictionary<long, Segment> _segments = [];
    private Segment _current;
    private readonly List<string> _recovered;

    public LedgerJournal(string directory, bool flushToDisk = false)
    {
        _directory = directory;
        _flushToDisk = flushToDisk;
        Directory.CreateDirectory(directory);
        _recovered = Directory.GetFiles(directory, "*.jsonl").Order(StringComparer.Ordinal).ToList();
        var next = _recovered.Count == 0 ? 1 : long.Parse(Path.GetFileNameWithoutExtension(_recovered[^1]), System.Globalization.CultureInfo.InvariantCulture) + 1;
        _current = OpenSegment(next);
    }

    /// <summary>Events left by a previous process, in order; truncated or corrupt lines (a crash mid-write) are skipped.</summary>
    public IEnumerable<LedgerEntry> ReadRecovered()
    {
        foreach (var file in _recovered)
        {
            foreach (var line in File.ReadLines(file))
            {
                LedgerEntry? entry = null;
                try { entry = JsonSerializer.Deserialize(line, JournalJson.Default.LedgerEntry); }
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

    /// <summary>Appends one event durably; returns the segment that holds it (for <see cref="MarkCommitted"/>).</summary>
    public long Append(LedgerEntry entry)
    {
        var line = JsonSerializer.SerializeToUtf8Bytes(entry, JournalJson.Default.LedgerEntry);
        lock (_gate)
        {
            var segment = _current;
            segment.Stream.Write(line);
            segment.Stream.WriteByte((byte)'\n');
            segment.Stream.Flush(_flushToDisk);
            segment.Appended++;
            if (segment.Appended >= EventsPerSegment)
            {
                segment.Closed = true;
                segment.Stream.Dispose();
                _current = OpenSegment(segment.Number + 1);
            }
            return segment.Number;
        }
    }

    /// <summary>Records that the store committed <paramref name="count"/> events of a segment; deletes it when complete.</summary>
    public void MarkCommitted(long segmentNumber, int count)
    {
        lock (_gate)
        {
            if (!_segments.TryGetValue(segmentNumber, out var segment)) return;
            segment.Committed += count;
            if (segment.Closed && segment.Committed >= segment.Appended)
            {
                File.Delete(segment.Path);
                _segments.Remove(segmentNumber);
            }
        }
    }

    public int SegmentFileCount => Directory.GetFiles(_directory, "*.jsonl").Length;

    private Segment OpenSegment(long number)
    {
        var path = Path.Combine(_directory, number.ToString("D10", System.Globalization.CultureInfo.InvariantCulture) + ".jsonl");
        var segment = new Segment(number, path, new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read, 1 << 16));
        _segments[number] = segment;
        return segment;
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _current.Stream.Dispose();
            // A clean shutdown with everything committed leaves no journal behind.
            if (_current.Committed >= _current.Appended)
            {
                File.Delete(_current.Path);
                _segments.Remove(_current.Number);
            }
        }
    }

    private sealed class Segment(long number, string path, FileStream stream)
    {
        public long Number { get; } = number;
        public string Path { get; } = path;
        public FileStream Stream { get; } = stream;
        public int Appended { get; set; }
        public int Committed { get; set; }
        public bool Closed { get; set; }
    }
}

[JsonSerializable(typeof(LedgerEntry))]
[JsonSourceGenerationOptions(UseStringEnumConverter = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
internal sealed partial class JournalJson : JsonSerializerContext;
