using System.Globalization;

namespace TokenOps.Bench;

/// <summary>CPU time and memory of another process, read from /proc (Linux only).</summary>
internal static class ProcStat
{
    /// <summary>utime + stime of every thread of <paramref name="pid"/>, in clock ticks (fields 14 and 15 of /proc/pid/stat).</summary>
    public static long CpuTicks(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        // The command name (field 2) is in parentheses and may contain spaces: split after the last ')'.
        var rest = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        // rest[0] is field 3 (state), so field n is rest[n - 3].
        var utime = long.Parse(rest[14 - 3], CultureInfo.InvariantCulture);
        var stime = long.Parse(rest[15 - 3], CultureInfo.InvariantCulture);
        return utime + stime;
    }

    /// <summary>
    /// CPU ticks of every live thread of <paramref name="pid"/> by thread id, with the thread's name (the runtime names
    /// its threads: ".NET TP Worker", ".NET Sockets", ".NET Server GC", "Console logger ...").
    /// </summary>
    public static Dictionary<string, (string Name, long Ticks)> ThreadTicks(int pid)
    {
        var threads = new Dictionary<string, (string Name, long Ticks)>(StringComparer.Ordinal);
        string[] tasks;
        try
        {
            tasks = Directory.GetDirectories($"/proc/{pid}/task");
        }
        catch (IOException)
        {
            return threads;
        }
        foreach (var task in tasks)
        {
            string stat;
            try
            {
                stat = File.ReadAllText(Path.Combine(task, "stat"));
            }
            catch (IOException)
            {
                continue; // the thread exited meanwhile
            }
            var open = stat.IndexOf('(');
            var close = stat.LastIndexOf(')');
            var name = stat[(open + 1)..close].Trim();
            var rest = stat[(close + 2)..].Split(' ');
            var user = long.Parse(rest[14 - 3], CultureInfo.InvariantCulture);
            var system = long.Parse(rest[15 - 3], CultureInfo.InvariantCulture);
            threads[Path.GetFileName(task)] = (name, user + system);
        }
        return threads;
    }

    /// <summary>utime and stime of the whole process, in clock ticks.</summary>
    public static (long User, long System) CpuTicksSplit(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var rest = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (long.Parse(rest[14 - 3], CultureInfo.InvariantCulture), long.Parse(rest[15 - 3], CultureInfo.InvariantCulture));
    }

    /// <summary>utime and stime summed over several processes (every replica of one target); zero for none.</summary>
    public static (long User, long System) CpuTicksSplit(IReadOnlyList<int> pids)
    {
        long user = 0, system = 0;
        foreach (var pid in pids)
        {
            var (u, s) = CpuTicksSplit(pid);
            user += u;
            system += s;
        }
        return (user, system);
    }

    /// <summary>A "VmRSS" / "VmHWM" line of /proc/pid/status, in kB (null when the process is gone).</summary>
    public static long? StatusKb(int pid, string field)
    {
        string[] lines;
        try
        {
            lines = File.ReadAllLines($"/proc/{pid}/status");
        }
        catch (IOException)
        {
            return null;
        }
        foreach (var line in lines)
        {
            if (!line.StartsWith(field + ":", StringComparison.Ordinal)) continue;
            var value = line[(field.Length + 1)..].Trim();
            var space = value.IndexOf(' ');
            return long.Parse(space < 0 ? value : value[..space], CultureInfo.InvariantCulture);
        }
        return null;
    }

    public static bool Exists(int pid) => Directory.Exists($"/proc/{pid}");

    /// <summary>Ticks per second of the utime/stime fields (sysconf(_SC_CLK_TCK); 100 on every mainstream Linux).</summary>
    public static int ClockTicks()
    {
        try
        {
            using var p = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("getconf", "CLK_TCK")
            {
                RedirectStandardOutput = true,
                UseShellExecute = false,
            })!;
            var text = p.StandardOutput.ReadToEnd();
            p.WaitForExit(5000);
            if (int.TryParse(text.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var ticks) && ticks > 0) return ticks;
        }
        catch (System.ComponentModel.Win32Exception)
        {
        }
        return 100;
    }
}
