using TokenOps.Core.Import;

namespace TokenOps.Storage.Import;

/// <summary>The de-duplicated usage events of a log tree, and what was skipped on the way.</summary>
public sealed record ScanResult(IReadOnlyList<UsageEvent> Events, SkipCounter Skipped, int Files, long Lines, int Duplicates);

/// <summary>
/// Reads whole log trees for reports: files are parsed in parallel (one parser per worker, spans only), then merged in
/// path order through the de-duplicator, so the result does not depend on thread timing.
/// </summary>
public static class LogScanner
{
    public static ScanResult ScanClaude(IReadOnlyList<LogFile> files, int? parallelism = null)
    {
        var perFile = new List<UsageEvent>[files.Count];
        var skipped = new SkipCounter();
        long lines = 0;
        var localDuplicates = 0;
        Parallel.For(0, files.Count, new ParallelOptions { MaxDegreeOfParallelism = parallelism ?? Environment.ProcessorCount },
            () => new ClaudeCodeLineParser(),
            (i, _, parser) =>
            {
                var file = files[i];
                var local = new UsageDeduplicator(); // streamed copies sit in the same file: drop them before the merge
                var count = ReadFile(file, parser, skipped, e =>
                {
                    e.Project = file.Project;
                    local.Add(e);
                });
                Interlocked.Add(ref lines, count);
                Interlocked.Add(ref localDuplicates, local.Duplicates);
                perFile[i] = [.. local.Events];
                return parser;
            },
            _ => { });
        var dedupe = new UsageDeduplicator();
        for (var i = 0; i < perFile.Length; i++)
        {
            foreach (var e in perFile[i]) dedupe.Add(e);
            perFile[i] = null!;
        }
        return new ScanResult(dedupe.Events, skipped, files.Count, lines, localDuplicates + dedupe.Duplicates);
    }

    public static ScanResult ScanCodex(IReadOnlyList<LogFile> files, int? parallelism = null)
    {
        var perFile = new List<UsageEvent>[files.Count];
        var skipped = new SkipCounter();
        long lines = 0;
        Parallel.For(0, files.Count, new ParallelOptions { MaxDegreeOfParallelism = parallelism ?? Environment.ProcessorCount }, i =>
        {
            var list = new List<UsageEvent>();
            var count = ReadFile(files[i], new CodexSessionParser(), skipped, list.Add);
            Interlocked.Add(ref lines, count);
            perFile[i] = list;
        });
        var all = new List<UsageEvent>();
        foreach (var list in perFile) all.AddRange(list);
        return new ScanResult(all, skipped, files.Count, lines, 0);
    }

    /// <summary>One file through a parser: usage events to <paramref name="add"/> (line and session set), invalid lines
    /// and an unreadable file to <paramref name="skipped"/>. Returns the lines read.</summary>
    private static int ReadFile(LogFile file, IUsageLineParser parser, SkipCounter skipped, Action<UsageEvent> add)
    {
        var count = 0;
        try
        {
            JsonlReader.Read(file.Path, 0, 1, (line, number, _, _) =>
            {
                count++;
                var kind = parser.Parse(line, out var e, out var error);
                if (kind == LineKind.Usage)
                {
                    e.Line = number;
                    e.SessionId ??= file.Session;
                    add(e);
                }
                else if (kind == LineKind.Invalid) skipped.Add(file.Display, number, error ?? "invalid");
            });
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            skipped.Add(file.Display, 0, $"unreadable: {ex.Message}");
        }
        return count;
    }
}
