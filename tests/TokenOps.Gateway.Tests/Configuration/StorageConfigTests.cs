using TokenOps.Gateway.Configuration;
using TokenOps.Gateway.Tests.Infrastructure;
using TokenOps.Storage;

namespace TokenOps.Gateway.Tests.Configuration;

/// <summary>
/// "storage" and "redis" in tokenops.json: unknown values fail at start naming the key, a backend this build lacks is
/// refused, an unreachable PostgreSQL fails in one line (never a silent SQLite), and a connection string never shows in
/// any output.
/// </summary>
public sealed class StorageConfigTests : IDisposable
{
    // A distinctive fake credential: if any of it reaches stdout or stderr, the test fails.
    private const string Password = "Zq9fakePgPw7731x";
    private const string ConnectionString = $"Host=db.internal;Username=tokenops;Password={Password}";

    private readonly string _dir = Path.Combine(Path.GetTempPath(), "tokenops-storage-config", Guid.NewGuid().ToString("N"));

    public StorageConfigTests() => Directory.CreateDirectory(_dir);

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private string Write(string json)
    {
        var path = Path.Combine(_dir, "tokenops.json");
        File.WriteAllText(path, json);
        return path;
    }

    [Fact]
    public void Default_IsSqlite_AndNoRedis()
    {
        var options = ConfigurationLoader.Load(Write("{}"));
        Assert.Equal(StorageKinds.Sqlite, options.Storage.Kind);
        Assert.Null(options.Redis);
        Assert.Equal(StorageKinds.Sqlite, ConfigurationLoader.Load(Write("""{"storage":{"kind":"sqlite"}}""")).Storage.Kind);
    }

    [Theory]
    [InlineData("""{"storage":{"kind":"mysql"}}""", "storage.kind")]
    [InlineData("""{"storage":{"kind":"Postgres"}}""", "storage.kind")]
    [InlineData("""{"storage":{"kind":"sqlite","connectionStringEnv":"X"}}""", "storage.connectionStringEnv")]
    [InlineData("""{"storage":{"kind":"postgres"}}""", "storage.connectionStringEnv")]
    [InlineData("""{"storage":{"kind":"postgres","connectionStringEnv":"TOKENOPS_TEST_UNSET_9f3a"}}""", "TOKENOPS_TEST_UNSET_9f3a")]
    [InlineData("""{"storage":{"kind":"postgres","connectionStringFile":"/nonexistent/pg.conn"}}""", "storage.connectionStringFile")]
    [InlineData("""{"storage":{"kind":"sqlite","conectionStringEnv":"X"}}""", "conectionStringEnv")]
    [InlineData("""{"redis":{"connectionStringEnv":"PATH","onFailure":"shrug"}}""", "redis.onFailure")]
    [InlineData("""{"redis":{"onFailure":"fail-open"}}""", "redis.connectionStringEnv")]
    public void BadStorageConfig_FailsInOneLine_NamingTheKey(string json, string named)
    {
        var ex = Assert.Throws<ConfigurationException>(() => ConfigurationLoader.Load(Write(json)));
        Assert.Contains(named, ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', ex.Message);
    }

    [Fact]
    public void Postgres_WithAConnectionSource_IsAccepted()
    {
        var file = Path.Combine(_dir, "pg.conn");
        File.WriteAllText(file, ConnectionString);
        var options = ConfigurationLoader.Load(Write($$$"""{"storage":{"kind":"postgres","connectionStringFile":"{{{file}}}"}}"""));
        Assert.Equal(StorageKinds.Postgres, options.Storage.Kind);
        Assert.Equal(ConnectionString, options.Storage.ReadConnectionString());
    }

    [Fact]
    public void Redis_IsAcceptedNowThatThisBuildHasTheBackend()
    {
        // PATH is always set: the section is valid and this build composes shared Redis counters from it.
        var options = ConfigurationLoader.Load(Write("""{"redis":{"connectionStringEnv":"PATH","onFailure":"fail-open"}}"""));
        Assert.Equal("fail-open", options.Redis!.OnFailure);
    }

    [Fact]
    public void ResolvedConnectionString_PrintsAsStars()
    {
        var file = Path.Combine(_dir, "pg.conn");
        File.WriteAllText(file, ConnectionString + "\n");
        var secret = GatewayOptionsValidator.ResolveConnectionString(null, file)!;
        Assert.Equal(ConnectionString, secret.Reveal());
        Assert.Equal("***", secret.ToString());
    }

    [Fact]
    public async Task Cli_UnknownKind_ExitsTwo_NamingTheKey()
    {
        var (exit, _, stderr) = await CliProcess.RunAsync("serve", "--config", Write("""{"storage":{"kind":"oracle"}}"""),
            "--urls", "http://127.0.0.1:0", "--data", _dir);
        Assert.Equal(2, exit);
        Assert.Contains("storage.kind", stderr, StringComparison.Ordinal);
        Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task Cli_Serve_OnAnUnreachablePostgres_FailsInOneLine_AndTheConnectionStringNeverShows()
    {
        var env = new Dictionary<string, string> { ["TOKENOPS_PG"] = Unreachable() };
        var config = Write("""{"storage":{"kind":"postgres","connectionStringEnv":"TOKENOPS_PG"}}""");
        var (exit, stdout, stderr) = await CliProcess.RunAsync(env, "serve", "--config", config, "--urls", "http://127.0.0.1:0", "--data", _dir);
        Assert.Equal(1, exit);
        Assert.Contains("the ledger database could not be used", stderr, StringComparison.Ordinal);
        Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.DoesNotContain(Password, stdout + stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("TokenOps gateway listening", stdout, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_dir, "tokenops.db")), "no SQLite database may be created when postgres is asked for");
    }

    [Theory]
    [InlineData("keys", "list")]
    [InlineData("status")]
    [InlineData("ledger")]
    public async Task Cli_OfflineCommands_ReadTheSameStorageSettings_AndNeverFallBackToSqlite(params string[] command)
    {
        // No --config: the environment overrides alone choose the backend, as for the gateway. PostgreSQL is down here:
        // the command fails in one line, never a silent SQLite.
        var env = new Dictionary<string, string>
        {
            ["TOKENOPS_PG"] = Unreachable(),
            ["TOKENOPS_CONFIG__Storage__Kind"] = "postgres",
            ["TOKENOPS_CONFIG__Storage__ConnectionStringEnv"] = "TOKENOPS_PG",
        };
        var (exit, stdout, stderr) = await CliProcess.RunAsync(env, [.. command, "--data", _dir]);
        Assert.Equal(1, exit);
        Assert.Contains("the ledger database could not be used", stderr, StringComparison.Ordinal);
        Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.DoesNotContain(Password, stdout + stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_dir, "tokenops.db")), "no SQLite database may be created when postgres is asked for");
    }

    /// <summary>A connection string to a loopback port nobody listens on (taken, then released), with the fake password.</summary>
    private static string Unreachable()
    {
        using var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        probe.Start();
        var port = ((System.Net.IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return $"Host=127.0.0.1;Port={port};Username=tokenops;Password={Password};Timeout=5";
    }

    [Fact]
    public async Task Cli_AConnectionStringPutInTheConfigItself_IsRefused_WithoutEchoingIt()
    {
        // The connection string has no key of its own: an operator who writes it into the config gets an unknown-key error
        // that names the key, not the value.
        var env = new Dictionary<string, string>
        {
            ["TOKENOPS_CONFIG__Storage__Kind"] = "postgres",
            ["TOKENOPS_CONFIG__Storage__ConnectionString"] = ConnectionString,
        };
        var (exit, stdout, stderr) = await CliProcess.RunAsync(env, "serve", "--urls", "http://127.0.0.1:0", "--data", _dir);
        Assert.Equal(2, exit);
        Assert.Contains("ConnectionString", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain(Password, stdout + stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cli_Help_NeverShowsTheConnectionString()
    {
        var env = new Dictionary<string, string> { ["TOKENOPS_PG"] = ConnectionString };
        var (exit, stdout, stderr) = await CliProcess.RunAsync(env, "serve", "--help");
        Assert.Equal(0, exit);
        Assert.DoesNotContain(Password, stdout + stderr, StringComparison.Ordinal);
    }
}
