namespace TokenOps.Core.Import;

/// <summary>Counts skipped lines and remembers the first few by file and line. Thread-safe.</summary>
public sealed class SkipCounter(int keep = 5)
{
    private readonly List<SkippedLine> _first = [];
    private long _count;

    public long Count => Interlocked.Read(ref _count);

    public IReadOnlyList<SkippedLine> First { get { lock (_first) return [.. _first.OrderBy(s => s.File, StringComparer.Ordinal).ThenBy(s => s.Line)]; } }

    public void Add(string file, long line, string reason)
    {
        Interlocked.Increment(ref _count);
        lock (_first)
        {
            if (_first.Count < keep) _first.Add(new SkippedLine(file, line, reason));
        }
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
