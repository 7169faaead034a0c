namespace TokenOps.Core.Import;

/// <summary>Counts skipped lines and remembers the first few by file and line. Thread-safe.</summary>
public sealed class SkipCounter(int keep = 5)
{
    private readonly List<SkippedLine> _first = [];
    private long _count;

    public long Count => Interlocked.Read(ref _count);

    /// <summary>The first skipped lines in (file, line) order, whatever order parallel readers reported them in.</summary>
    public IReadOnlyList<SkippedLine> First { get { lock (_first) return [.. _first]; } }

    public void Add(string file, long line, string reason)
    {
        Interlocked.Increment(ref _count);
        var item = new SkippedLine(file, line, reason);
        lock (_first)
        {
            var at = _first.FindIndex(s => Compare(item, s) < 0);
            if (at < 0) at = _first.Count;
            if (at >= keep) return;
            _first.Insert(at, item);
            if (_first.Count > keep) _first.RemoveAt(keep);
        }
    }

    private static int Compare(SkippedLine a, SkippedLine b)
    {
        var byFile = string.CompareOrdinal(a.File, b.File);
        return byFile != 0 ? byFile : a.Line.CompareTo(b.Line);
    }

    /// <summary>"3 lines skipped: a.jsonl:4 (corrupt or truncated JSON), ..." or null when none.</summary>
    public string? Summary()
    {
        var n = Count;
        if (n == 0) return null;
        var names = string.Join(", ", First.Select(s => s.Line > 0 ? $"{s.File}:{s.Line} ({s.Reason})" : $"{s.File} ({s.Reason})"));
        return $"{n} line{(n == 1 ? "" : "s")} skipped: {names}{(n > First.Count ? ", ..." : "")}";
    }
}

/// <summary>A skipped line; <see cref="Line"/> is 0 for a whole unreadable file.</summary>
public sealed record SkippedLine(string File, long Line, string Reason);
