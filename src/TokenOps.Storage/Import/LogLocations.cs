namespace TokenOps.Storage.Import;

/// <summary>One log file to read, with what its location says about it.</summary>
/// <param name="Path">Full path.</param>
/// <param name="Display">Path as shown in messages (relative to its root).</param>
/// <param name="Project">Claude Code: the folder under <c>projects/</c>; Codex: null.</param>
/// <param name="Session">The file name without extension (nested Claude files: the session folder).</param>
public sealed record LogFile(string Path, string Display, string? Project, string Session);

/// <summary>Where Claude Code and Codex keep their logs (REFERENCE.md 2.1, 2.6), and the file lists under them.</summary>
public static class LogLocations
{
    /// <summary>
    /// Claude config dirs: the given ones, else <c>CLAUDE_CONFIG_DIR</c> (comma-separated list), else
    /// <c>~/.config/claude</c> and <c>~/.claude</c>. A dir that has a <c>projects/</c> folder is read from there;
    /// a dir without one is read as a projects folder itself.
    /// </summary>
    public static IReadOnlyList<string> ClaudeRoots(IReadOnlyList<string>? given, Func<string, string?>? env = null)
    {
        env ??= Environment.GetEnvironmentVariable;
        IEnumerable<string> dirs;
        if (given is { Count: > 0 }) dirs = given;
        else if (env("CLAUDE_CONFIG_DIR") is { Length: > 0 } configured) dirs = configured.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        else
        {
            var home = env("HOME") ?? Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
            dirs = [System.IO.Path.Combine(home, ".config", "claude"), System.IO.Path.Combine(home, ".claude")];
        }
        return [.. dirs.Select(d => Directory.Exists(System.IO.Path.Combine(d, "projects")) ? System.IO.Path.Combine(d, "projects") : d)
            .Where(Directory.Exists).Select(System.IO.Path.GetFullPath).Distinct(StringComparer.Ordinal)];
    }

    /// <summary>Codex session dirs: the given ones, else <c>$CODEX_HOME/sessions</c> (and <c>archived_sessions</c>), else <c>~/.codex/sessions</c>.</summary>
    public static IReadOnlyList<string> CodexRoots(IReadOnlyList<string>? given, Func<string, string?>? env = null)
    {
        env ??= Environment.GetEnvironmentVariable;
        IEnumerable<string> dirs;
        if (given is { Count: > 0 }) dirs = given;
        else
        {
            var homes = env("CODEX_HOME") is { Length: > 0 } configured
                ? configured.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                : [System.IO.Path.Combine(env("HOME") ?? Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".codex")];
            dirs = homes.SelectMany(h => new[] { System.IO.Path.Combine(h, "sessions"), System.IO.Path.Combine(h, "archived_sessions") });
        }
        return [.. dirs.Where(Directory.Exists).Select(System.IO.Path.GetFullPath).Distinct(StringComparer.Ordinal)];
    }

    /// <summary>All <c>*.jsonl</c> under the roots, in ordinal path order (a fixed order keeps de-duplication deterministic).</summary>
    public static IReadOnlyList<LogFile> ClaudeFiles(IReadOnlyList<string> roots)
    {
        var files = new List<LogFile>();
        foreach (var root in roots)
        {
            foreach (var path in Enumerate(root))
            {
                var relative = System.IO.Path.GetRelativePath(root, path);
                var parts = relative.Split(System.IO.Path.DirectorySeparatorChar);
                var project = parts.Length > 1 ? parts[0] : null;
                var session = parts.Length > 2 ? parts[1] : System.IO.Path.GetFileNameWithoutExtension(path);
                files.Add(new LogFile(path, relative, project, session));
            }
        }
        return Sorted(files);
    }

    public static IReadOnlyList<LogFile> CodexFiles(IReadOnlyList<string> roots)
    {
        var files = new List<LogFile>();
        var seen = new HashSet<string>(StringComparer.Ordinal); // same relative path in sessions/ and archived_sessions/: sessions/ wins
        foreach (var root in roots)
        {
            foreach (var path in Enumerate(root))
            {
                var relative = System.IO.Path.GetRelativePath(root, path);
                if (!seen.Add(relative)) continue;
                files.Add(new LogFile(path, relative, null, System.IO.Path.GetFileNameWithoutExtension(path)));
            }
        }
        return Sorted(files);
    }

    private static IEnumerable<string> Enumerate(string root) =>
        Directory.EnumerateFiles(root, "*.jsonl", new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true, AttributesToSkip = FileAttributes.None });

    private static List<LogFile> Sorted(List<LogFile> files)
    {
        files.Sort((a, b) => string.CompareOrdinal(a.Path, b.Path));
        return files;
    }
}
