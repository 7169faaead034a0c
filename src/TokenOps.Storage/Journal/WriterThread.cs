using System.Runtime.InteropServices;

namespace TokenOps.Storage.Journal;

/// <summary>
/// A dedicated background thread for work that must not compete with requests for a core: on Linux its nice value is
/// raised (setpriority on the thread's id; .NET's ThreadPriority does nothing there without privileges), so the
/// scheduler runs request threads first and this one in the gaps. Elsewhere it is an ordinary thread.
/// </summary>
public static class WriterThread
{
    /// <summary>Nice value of the thread (0 normal, 19 lowest): low enough to yield to requests, high enough to keep up.</summary>
    public const int Nice = 10;

    /// <summary>Runs <paramref name="body"/> on a new background thread; the task completes (or faults) when it returns.</summary>
    public static Task Start(string name, Action body)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            LowerPriority();
            try
            {
                body();
                done.SetResult();
            }
            catch (Exception ex)
            {
                done.SetException(ex);
            }
        })
        {
            IsBackground = true,
            Name = name,
        };
        thread.Start();
        return done.Task;
    }

    /// <summary>The calling thread's nice value on Linux (null elsewhere or when it cannot be read).</summary>
    public static int? CurrentNice()
    {
        if (!OperatingSystem.IsLinux()) return null;
        Marshal.SetLastPInvokeError(0);
        var nice = getpriority(PrioProcess, gettid());
        return nice == -1 && Marshal.GetLastPInvokeError() != 0 ? null : nice;
    }

    private static void LowerPriority()
    {
        if (!OperatingSystem.IsLinux()) return;
        try
        {
            // PRIO_PROCESS with a thread id sets that thread alone (Linux threads are tasks). Failure only costs the tail.
            _ = setpriority(PrioProcess, gettid(), Nice);
        }
        catch (EntryPointNotFoundException) { }
        catch (DllNotFoundException) { }
    }

    private const int PrioProcess = 0;

    [DllImport("libc", SetLastError = true)]
    private static extern int setpriority(int which, int who, int prio);

    [DllImport("libc", SetLastError = true)]
    private static extern int getpriority(int which, int who);

    [DllImport("libc")]
    private static extern int gettid();
}
