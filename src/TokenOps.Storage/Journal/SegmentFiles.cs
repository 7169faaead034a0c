using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace TokenOps.Storage.Journal;

/// <summary>
/// Creates segment files whose blocks are really allocated. A write through a mapping into a hole of a sparse file
/// needs a block at page-fault time, and on a full disk the kernel answers with SIGBUS, which kills the process.
/// Allocating when the segment is created turns that into an <see cref="IOException"/> here, where the journal can
/// handle it; once created, a segment can be filled without touching the file system.
/// </summary>
internal static class SegmentFiles
{
    public static FileStream CreateAllocated(string path, long bytes, long minFreeBytes)
    {
        // One statvfs per segment: refuse before allocating anything when the disk is nearly full, so that SQLite (on the
        // same disk) can still commit what the journal holds.
        var free = new DriveInfo(Path.GetDirectoryName(path)!).AvailableFreeSpace;
        if (free - bytes < minFreeBytes)
            throw new IOException($"not enough free disk space for a journal segment: {Mb(free)} free, {Mb(bytes)} needed plus a {Mb(minFreeBytes)} reserve");
        // Create, not CreateNew: the only file this can replace is an empty leftover of a failed attempt at this number.
        var stream = new FileStream(path, FileMode.Create, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
        try
        {
            Allocate(stream.SafeFileHandle, bytes);
            return stream;
        }
        catch
        {
            stream.Dispose();
            try { File.Delete(path); } catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { }
            throw;
        }
    }

    private static void Allocate(SafeFileHandle file, long bytes)
    {
        if (OperatingSystem.IsLinux())
        {
            try
            {
                // Sets the length too. glibc falls back to writing one byte per block where the file system lacks fallocate.
                var error = posix_fallocate(file, 0, bytes);
                if (error != 0)
                    throw new IOException($"cannot allocate {Mb(bytes)} for a journal segment: {Marshal.GetPInvokeErrorMessage(error)}");
                return;
            }
            catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
            {
                // A libc without it (or not named libc): write the zeros instead.
            }
        }
        // A block that was written is allocated (barring compressing file systems).
        var zeros = new byte[1 << 20];
        for (long offset = 0; offset < bytes; offset += zeros.Length)
            RandomAccess.Write(file, zeros.AsSpan(0, (int)Math.Min(zeros.Length, bytes - offset)), offset);
    }

    private static string Mb(long bytes) => $"{bytes / (1024.0 * 1024):0.##} MiB";

    /// <summary>Returns an error number (not errno); 0 on success.</summary>
    [DllImport("libc", EntryPoint = "posix_fallocate")]
    private static extern int posix_fallocate(SafeFileHandle fd, long offset, long len);
}
