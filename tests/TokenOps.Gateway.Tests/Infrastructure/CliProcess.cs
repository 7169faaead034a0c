using System.Diagnostics;
using System.Text;

namespace TokenOps.Gateway.Tests.Infrastructure;

/// <summary>Runs the real `tokenops` executable (built beside the tests) as a child process.</summary>
public sealed class CliProcess : IDisposable
{
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();

    private CliProcess(Process process)
    {
        Process = process;
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_stdout) _stdout.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_stderr) _stderr.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public Process Process { get; }
    public string Stdout { get { lock (_stdout) return _stdout.ToString(); } }
    public string Stderr { get { lock (_stderr) return _stderr.ToString(); } }

    public static CliProcess Start(params string[] args) => Start(null, args);

    /// <summary>Starts the CLI with extra environment variables (for example TOKENOPS_CONFIG__ overrides).</summary>
    public static CliProcess Start(IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "tokenops.dll"));
        foreach (var a in args) info.ArgumentList.Add(a);
        info.Environment["DOTNET_NOLOGO"] = "1";
        if (environment is not null)
            foreach (var (name, value) in environment) info.Environment[name] = value;
        return new CliProcess(Process.Start(info)!);
    }

    public static Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(params string[] args) => RunAsync(null, args);

    /// <summary>Runs the CLI with <paramref name="stdin"/> as its standard input (closed after it).</summary>
    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunWithInputAsync(string stdin, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "tokenops.dll"));
        foreach (var a in args) info.ArgumentList.Add(a);
        info.Environment["DOTNET_NOLOGO"] = "1";
        using var cli = new CliProcess(Process.Start(info)!);
        await cli.Process.StandardInput.WriteAsync(stdin);
        cli.Process.StandardInput.Close();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await cli.Process.WaitForExitAsync(timeout.Token);
        cli.Process.WaitForExit();
        return (cli.Process.ExitCode, cli.Stdout, cli.Stderr);
    }

    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        using var cli = Start(environment, args);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await cli.Process.WaitForExitAsync(timeout.Token);
        cli.Process.WaitForExit();
        return (cli.Process.ExitCode, cli.Stdout, cli.Stderr);
    }

    /// <summary>Waits for a line of stdout containing <paramref name="marker"/> and returns it.</summary>
    public async Task<string> WaitForLineAsync(string marker, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            var line = Stdout.Split('\n').FirstOrDefault(l => l.Contains(marker, StringComparison.Ordinal));
            if (line is not null) return line.Trim();
            if (Process.HasExited) break;
            await Task.Delay(50);
        }
        throw new Xunit.Sdk.XunitException($"no '{marker}' in output. stdout: {Stdout} stderr: {Stderr}");
    }

    public void Dispose()
    {
        if (!Process.HasExited) Process.Kill(entireProcessTree: true);
        Process.Dispose();
    }
}
