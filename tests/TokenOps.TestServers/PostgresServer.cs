using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace TokenOps.TestServers;

/// <summary>
/// A throwaway PostgreSQL server for the tests, started from the machine's binaries (Debian's <c>postgresql</c> package:
/// <c>initdb</c>, <c>pg_ctl</c>, <c>postgres</c> under /usr/lib/postgresql/&lt;version&gt;/bin): a temporary data directory,
/// trust authentication for the <c>tokenops</c> superuser, loopback on a free port, the unix socket in the temporary
/// directory, fsync off. Started once per test collection (<see cref="PostgresCollection"/>); each test class asks for
/// its own fresh database (<see cref="Database"/>). Stopped and deleted when the collection is done.
/// Never skipped: without the binaries the fixture fails and says which package to install.
/// <para>
/// To use a server of your own instead, set <c>TOKENOPS_TEST_POSTGRES</c> to a connection string whose role may
/// CREATE DATABASE: each database then gets a per-run suffix and is dropped at the end (the string is never printed).
/// </para>
/// As root (CI, this machine) the server runs as the <c>postgres</c> OS user through <c>runuser</c>: initdb refuses root.
/// </summary>
public sealed class PostgresServer : IDisposable
{
    /// <summary>Databases created so far, by the name a test class asked for.</summary>
    private readonly ConcurrentDictionary<string, Lazy<string>> _databases = new(StringComparer.Ordinal);
    private readonly string _root;
    private readonly string _data;
    private readonly string _bin;
    private readonly bool _asPostgresUser;
    private readonly NpgsqlConnectionStringBuilder? _configured;
    private readonly string _run = Guid.NewGuid().ToString("N")[..6];
    private readonly ConcurrentBag<string> _created = [];
    private bool _started;

    /// <summary>An existing server to use instead of starting one (a connection string allowed to create databases).</summary>
    public const string ConfiguredVariable = "TOKENOPS_TEST_POSTGRES";

    public int Port { get; }

    /// <summary>The server's own maintenance database, for CREATE DATABASE.</summary>
    private string AdminConnectionString => ConnectionString(_configured?.Database ?? "postgres");

    public PostgresServer()
    {
        var configured = Environment.GetEnvironmentVariable(ConfiguredVariable);
        if (!string.IsNullOrWhiteSpace(configured))
        {
            _configured = new NpgsqlConnectionStringBuilder(configured);
            Port = _configured.Port;
            _root = _data = _bin = "";
            return;
        }
        _bin = FindBinaries();
        _asPostgresUser = Environment.UserName == "root" || Environment.GetEnvironmentVariable("USER") == "root";
        _root = Path.Combine(Path.GetTempPath(), "tokenops-pg-" + Guid.NewGuid().ToString("N")[..12]);
        _data = Path.Combine(_root, "data");
        Directory.CreateDirectory(_root);
        try
        {
            if (_asPostgresUser) Run("chown", ["postgres:postgres", _root]);
            RunServerTool("initdb", ["-D", _data, "-U", "tokenops", "--auth=trust", "--encoding=UTF8", "--locale=C", "--no-sync"]);
            // A free port can be taken between probing and listening (other test runs, other builders): retry a few times.
            Exception? last = null;
            for (var attempt = 0; attempt < 5 && !_started; attempt++)
            {
                Port = FreePort();
                try
                {
                    RunServerTool("pg_ctl", ["-D", _data, "-l", Path.Combine(_root, "server.log"), "-w", "-t", "60", "-o",
                        $"-p {Port} -k {_root} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off " +
                        "-c full_page_writes=off -c max_connections=200", "start"]);
                    _started = true;
                }
                catch (InvalidOperationException e) { last = e; }
            }
            if (!_started) throw new InvalidOperationException("The throwaway PostgreSQL server did not start: " + last?.Message + ServerLogTail(), last);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>
    /// Stops the server (fast shutdown: clients are disconnected mid-transaction, as in a restart or failover);
    /// <see cref="Start"/> brings it back on the same port. Not "immediate": this throwaway server runs with
    /// synchronous_commit off for speed, and a crash would then lose commits a client was told had landed.
    /// </summary>
    public void Stop()
    {
        if (_configured is not null) throw new InvalidOperationException("cannot stop a server this fixture did not start (" + ConfiguredVariable + ")");
        RunServerTool("pg_ctl", ["-D", _data, "-m", "fast", "-w", "stop"]);
        NpgsqlConnection.ClearAllPools();
    }

    /// <summary>Starts the server again after <see cref="Stop"/>, on the same port and data directory.</summary>
    public void Start()
    {
        if (_configured is not null) throw new InvalidOperationException("cannot start a server this fixture did not start (" + ConfiguredVariable + ")");
        RunServerTool("pg_ctl", ["-D", _data, "-l", Path.Combine(_root, "server.log"), "-w", "-t", "60", "-o",
            $"-p {Port} -k {_root} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off " +
            "-c full_page_writes=off -c max_connections=200", "start"]);
    }

    /// <summary>A connection string (no password: trust authentication on loopback) to a database of this server.</summary>
    public string ConnectionString(string database) => _configured is { } configured
        ? new NpgsqlConnectionStringBuilder(configured.ConnectionString) { Database = database }.ToString()
        : new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1", Port = Port, Username = "tokenops", Database = database, Pooling = true, MaxPoolSize = 20,
        }.ToString();

    /// <summary>A fresh database, created on the first call for a name (one per test class) and reused after.</summary>
    /// <param name="icuLocale">When set (e.g. "en-US"), the database's default collation is that ICU locale's linguistic
    /// order instead of the server's (C on CI), to show that a store sorts in byte order wherever it must.</param>
    public string Database(string name, string? icuLocale = null) =>
        _databases.GetOrAdd(name, n => new Lazy<string>(() => Create(n, icuLocale))).Value;

    /// <summary>A fresh database under a new name (for tests that need a database nobody has opened yet).</summary>
    public string NewDatabase(string prefix) => Create(prefix + "_" + Guid.NewGuid().ToString("N")[..8]);

    private string Create(string name, string? icuLocale = null)
    {
        var safe = new string(name.ToLowerInvariant().Select(c => char.IsAsciiLetterOrDigit(c) ? c : '_').ToArray());
        if (safe.Length > 50) safe = safe[..40] + "_" + (uint)name.GetHashCode(StringComparison.Ordinal) % 100000;
        // On a shared server, runs side by side must not meet: a suffix per run, and the database dropped at the end.
        if (_configured is not null) safe += "_" + _run;
        using var connection = new NpgsqlConnection(AdminConnectionString);
        connection.Open();
        using var create = connection.CreateCommand();
        var locale = icuLocale is null ? "" : $" TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE '{icuLocale.Replace("'", "''")}'";
        create.CommandText = $"DROP DATABASE IF EXISTS \"{safe}\"; CREATE DATABASE \"{safe}\"{locale};";
        create.ExecuteNonQuery();
        _created.Add(safe);
        return ConnectionString(safe);
    }

    public void Dispose()
    {
        NpgsqlConnection.ClearAllPools();
        if (_configured is not null)
        {
            using var connection = new NpgsqlConnection(AdminConnectionString);
            connection.Open();
            foreach (var name in _created)
            {
                using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE);", connection);
                drop.ExecuteNonQuery();
            }
            return;
        }
        if (_started)
        {
            try { RunServerTool("pg_ctl", ["-D", _data, "-m", "immediate", "-w", "stop"]); }
            catch (InvalidOperationException) { /* deleting the directory below still frees the disk; the process exits with its socket gone */ }
            _started = false;
        }
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    /// <summary>The newest installed server's bin directory (Debian: /usr/lib/postgresql/&lt;major&gt;/bin), else initdb on PATH.</summary>
    public static string FindBinaries(string root = "/usr/lib/postgresql", string? path = null)
    {
        if (Directory.Exists(root))
        {
            var newest = Directory.GetDirectories(root)
                .Select(d => (Dir: Path.Combine(d, "bin"), Major: int.TryParse(Path.GetFileName(d), out var m) ? m : -1))
                .Where(d => File.Exists(Path.Combine(d.Dir, "initdb")) && File.Exists(Path.Combine(d.Dir, "pg_ctl")))
                .OrderByDescending(d => d.Major).FirstOrDefault();
            if (newest.Dir is not null) return newest.Dir;
        }
        foreach (var dir in (path ?? Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            if (File.Exists(Path.Combine(dir, "initdb")) && File.Exists(Path.Combine(dir, "pg_ctl"))) return dir;
        }
        throw new InvalidOperationException(
            "The PostgreSQL tests need the PostgreSQL server binaries (initdb, pg_ctl, postgres), found neither under " +
            $"{root}/<version>/bin nor on PATH. Install Debian's `postgresql` package " +
            "(apt-get install postgresql; .ci/run does this). These tests are never skipped.");
    }

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    /// <summary>Runs a server binary, as the postgres OS user when the tests run as root.</summary>
    private void RunServerTool(string tool, string[] args)
    {
        var path = Path.Combine(_bin, tool);
        if (_asPostgresUser) Run("runuser", ["-u", "postgres", "--", path, .. args]);
        else Run(path, args);
    }

    private static void Run(string file, string[] args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) start.ArgumentList.Add(a);
        // Servers started with pg_ctl keep the inherited pipes open: read them asynchronously and stop waiting at exit.
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {file}");
        var output = new System.Text.StringBuilder();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!process.WaitForExit(TimeSpan.FromSeconds(120)))
        {
            try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            throw new InvalidOperationException($"{Path.GetFileName(file)} {string.Join(' ', args)} did not finish in 120 s");
        }
        if (process.ExitCode != 0)
        {
            string text;
            lock (output) text = output.ToString();
            throw new InvalidOperationException($"{Path.GetFileName(file)} {string.Join(' ', args)} exited with {process.ExitCode}: {text.Trim()}");
        }
    }

    private string ServerLogTail()
    {
        try
        {
            var lines = File.ReadAllLines(Path.Combine(_root, "server.log"));
            return "\nserver.log:\n" + string.Join('\n', lines.TakeLast(20));
        }
        catch (IOException) { return ""; }
        catch (UnauthorizedAccessException) { return ""; }
    }
}
