using System.IO.MemoryMappedFiles;
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
/// </summary>
public sealed class LedgerJournal : IDisposable
{
    private const int EventsPerSegment = 4096;
    /// <summary>Room reserved per segment; a file is sparse until written, and cut to size when the segment closes.</summary>
    private const long SegmentCapacity = 8L << 20;
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
        _current = OpenSegment(next, SegmentCapacity);
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

    /// <summary>Appends one event durably; returns the segment that holds it (for <see cref="MarkCommitted"/>).</summary>
    public long Append(LedgerEntry entry)
    {
        var line = JsonSerializer.SerializeToUtf8Bytes(entry, JournalJson.Default.LedgerEntry);
        lock (_gate)
        {
            if (_current.Length + line.Length + 1 > _current.Capacity)
                Rotate(Math.Max(SegmentCapacity, line.Length + 1));
            var segment = _current;
            segment.Write(line, _flushToDisk);
            segment.Appended++;
            if (segment.Appended >= EventsPerSegment) Rotate(SegmentCapacity);
            return segment.Number;
        }
    }

    private void Rotate(long capacity)
    {
        var full = _current;
        full.Close();
        _current = OpenSegment(full.Number + 1, capacity);
        if (full.Committed >= full.Appended) Delete(full);
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

    private Segment OpenSegment(long number, long capacity)
    {
        var path = Path.Combine(_directory, number.ToString("D10", System.Globalization.CultureInfo.InvariantCulture) + ".jsonl");
        var segment = new Segment(number, path, capacity);
        _segments[number] = segment;
        return segment;
    }

    private void Delete(Segment segment)
    {
        File.Delete(segment.Path);
        _segments.Remove(segment.Number);
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _current.Close();
            // A clean shutdown with everything committed leaves no journal behind.
            if (_current.Committed >= _current.Appended) Delete(_current);
        }
    }

    /// <summary>One journal file, mapped for writing while it is the current segment.</summary>
    private sealed class Segment
    {
        private MemoryMappedFile? _file;
        private MemoryMappedViewAccessor? _view;

        public Segment(long number, string path, long capacity)
        {
            Number = number;
            Path = path;
            Capacity = capacity;
            _file = MemoryMappedFile.CreateFromFile(path, FileMode.CreateNew, null, capacity, MemoryMappedFileAccess.ReadWrite);
            _view = _file.CreateViewAccessor(0, capacity, MemoryMappedFileAccess.ReadWrite);
        }

        public long Number { get; }
        public string Path { get; }
        public long Capacity { get; }
        public long Length { get; private set; }
        public int Appended { get; set; }
        public int Committed { get; set; }
        public bool Closed { get; private set; }

        public void Write(byte[] line, bool flushToDisk)
        {
            _view!.WriteArray(Length, line, 0, line.Length);
            _view.Write(Length + line.Length, (byte)'\n');
            Length += line.Length + 1;
            if (flushToDisk) _view.Flush();
        }

        /// <summary>Unmaps the file and cuts it to what was written, so a closed segment holds only whole lines.</summary>
        public void Close()
        {
            if (Closed) return;
            Closed = true;
            _view?.Dispose();
            _file?.Dispose();
            _view = null;
            _file = null;
            using var stream = new FileStream(Path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);
            stream.SetLength(Length);
        }
    }
}

[JsonSerializable(typeof(LedgerEntry))]
[JsonSourceGenerationOptions(UseStringEnumConverter = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
internal sealed partial class JournalJson : JsonSerializerContext;
