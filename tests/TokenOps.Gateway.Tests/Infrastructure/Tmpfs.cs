using System.Diagnostics;

namespace TokenOps.Gateway.Tests.Infrastructure;

/// <summary>
/// A small tmpfs mounted for one test: a real file system that really fills up, so disk-full behaviour (ENOSPC, and the
/// SIGBUS a mapped write into an unallocated page gets) is exercised, not simulated. Mounting needs root
/// (CAP_SYS_ADMIN); CI runs as root. Without it the test fails and says so: it is never skipped.
/// </summary>
public sealed class Tmpfs : IDisposable
{
    private Tmpfs(string path) => Path = path;

    public string Path { get; }

    public static Tmpfs Mount(long bytes)
    {
        var path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "tokenops-tmpfs", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(path);
        var (code, output) = Run("mount", "-t", "tmpfs", "-o", $"size={bytes}", "tokenops-test", path);
        if (code != 0)
            throw new InvalidOperationException($"This test needs a tmpfs of {bytes} bytes and could not mount one at {path} " +
                $"(run as root, as CI does; mount said: {output.Trim()})");
        return new Tmpfs(path);
    }

    /// <summary>Writes a file until the file system refuses (ENOSPC); disposing the result deletes it (frees the space).</summary>
    public Filler Fill()
    {
        var filler = System.IO.Path.Combine(Path, "filler.bin");
        var chunk = new byte[16 * 1024];
        using var stream = new FileStream(filler, FileMode.Create, FileAccess.Write, FileShare.None, 1, FileOptions.WriteThrough);
        try
        {
            while (true) stream.Write(chunk);
        }
        catch (IOException)
        {
        }
        // The last chunk may have been cut; top up to the last byte.
        try { while (true) stream.Write(chunk, 0, 1); }
        catch (IOException) { }
        return new Filler(filler);
    }

    /// <summary>The file that fills the disk; deleted on dispose, so a failing test does not leave the disk full
    /// while the gateway shuts down.</summary>
    public sealed class Filler(string path) : IDisposable
    {
        public void Dispose() => File.Delete(path);
    }

    public long FreeBytes => new DriveInfo(Path).AvailableFreeSpace;

    public void Dispose()
    {
        if (Run("umount", Path).Code != 0) Run("umount", "-l", Path);
        try { Directory.Delete(Path); } catch (IOException) { }
    }

    private static (int Code, string Output) Run(string file, params string[] args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in args) start.ArgumentList.Add(a);
        try
        {
            using var process = Process.Start(start)!;
            var output = process.StandardError.ReadToEnd() + process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            return (process.ExitCode, output);
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            return (-1, ex.Message);
        }
    }
}
