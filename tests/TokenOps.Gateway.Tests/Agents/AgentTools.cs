namespace TokenOps.Gateway.Tests.Agents;

/// <summary>
/// The pinned agents and Node SDKs of tests/agents. The README's one test command installs them on first use
/// (`npm ci` from the lockfile, once per test run; .ci/run does it ahead); tools still missing then fail the test with
/// the command that installs them: these tests are never skipped.
/// </summary>
public static class AgentTools
{
    private static readonly Lazy<string> Folder = new(() => EnsureInstalled(FindFolder()));

    /// <summary>tests/agents: package.json, package-lock.json, the SDK scripts and node_modules.</summary>
    public static string Directory => Folder.Value;

    /// <summary>Claude Code's native binary, which its install.cjs copies from the platform package over the bin/claude.exe stub.</summary>
    public static string Claude => Require(Path.Combine(Directory, "node_modules", "@anthropic-ai", "claude-code", "bin", "claude.exe"), minimumBytes: 1_000_000);

    /// <summary>Codex's native binary from its platform package (the npm launcher bin/codex.js would only exec it).</summary>
    public static string Codex => Require(Path.Combine(Directory, "node_modules", "@openai", "codex-linux-x64", "vendor", "x86_64-unknown-linux-musl", "bin", "codex"), minimumBytes: 1_000_000);

    /// <summary>A script of tests/agents whose SDK package is installed.</summary>
    public static string Script(string name, string package)
    {
        Require(Path.Combine(Directory, "node_modules", package, "package.json"), minimumBytes: 1);
        return Require(Path.Combine(Directory, name), minimumBytes: 1);
    }

    /// <summary>`node` on PATH.</summary>
    public static string Node =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator)
            .Select(dir => Path.Combine(dir, "node")).FirstOrDefault(File.Exists)
        ?? throw new InvalidOperationException("node is not on PATH: install Node.js (see .ci/run).");

    private static string Require(string path, long minimumBytes)
    {
        var file = new FileInfo(path);
        if (!file.Exists || file.Length < minimumBytes)
            throw new InvalidOperationException(
                $"{path} is missing (or still the npm stub): run `npm ci --no-audit --no-fund` in {Directory} (.ci/run does).");
        return path;
    }

    /// <summary>Runs `npm ci` (and Claude Code's install.cjs if npm skipped it) when the pinned tools are not in place.</summary>
    private static string EnsureInstalled(string folder)
    {
        static bool Present(string path) => new FileInfo(path) is { Exists: true, Length: > 1_000_000 };
        var claude = Path.Combine(folder, "node_modules", "@anthropic-ai", "claude-code", "bin", "claude.exe");
        var codex = Path.Combine(folder, "node_modules", "@openai", "codex-linux-x64", "vendor", "x86_64-unknown-linux-musl", "bin", "codex");
        if (Present(claude) && Present(codex)) return folder;
        Run("npm", ["ci", "--no-audit", "--no-fund", "--loglevel=error"], folder);
        if (!Present(claude)) Run("node", [Path.Combine(folder, "node_modules", "@anthropic-ai", "claude-code", "install.cjs")], folder);
        return folder;
    }

    private static void Run(string file, string[] args, string folder)
    {
        var start = new System.Diagnostics.ProcessStartInfo(file) { WorkingDirectory = folder, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) start.ArgumentList.Add(a);
        try
        {
            using var process = System.Diagnostics.Process.Start(start)!;
            var stderr = process.StandardError.ReadToEndAsync();
            _ = process.StandardOutput.ReadToEndAsync();
            if (!process.WaitForExit(TimeSpan.FromMinutes(5))) process.Kill(entireProcessTree: true);
            process.WaitForExit();
            if (process.ExitCode != 0)
                throw new InvalidOperationException($"{file} {string.Join(' ', args)} in {folder} failed ({process.ExitCode}): {stderr.Result}");
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new InvalidOperationException($"{file} is not installed ({ex.Message}): install Node.js and npm (see .ci/run).");
        }
    }

    private static string FindFolder()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "tests", "agents");
            if (File.Exists(Path.Combine(candidate, "package-lock.json"))) return candidate;
        }
        throw new InvalidOperationException($"no tests/agents/package-lock.json above {AppContext.BaseDirectory}");
    }
}
