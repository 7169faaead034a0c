using TokenOps.Gateway.Tests.Infrastructure;
using TokenOps.TestServers;

namespace TokenOps.Gateway.Tests.Fleet;

/// <summary>`tokenops migrate --to-postgres` end to end: an installation made by the CLI, moved up, read back by the CLI on PostgreSQL.</summary>
[Collection(PostgresCollection.Name)]
public sealed class MigrateCommandTests(PostgresServer server) : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "tokenops-migrate-cli", Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task Moves_an_installation_up_and_never_prints_the_connection_string()
    {
        var data = Path.Combine(_dir, "data");
        Assert.Equal(0, (await CliProcess.RunAsync("keys", "create", "--person", "ada", "--team", "core", "--data", data)).ExitCode);
        var cs = server.NewDatabase("migrate_cli") + ";Password=hunter2-not-shown";
        var env = new Dictionary<string, string> { ["TOKENOPS_PG"] = cs };

        var (exit, stdout, stderr) = await CliProcess.RunAsync(env, "migrate", "--data", data, "--to-postgres");
        Assert.True(exit == 0, stdout + stderr);
        Assert.Contains("Verified", stdout);
        Assert.Matches(@"keys\s+1\s+1\s+1", stdout);
        Assert.DoesNotContain("hunter2", stdout + stderr);

        // The CLI on PostgreSQL sees the key the CLI made on SQLite.
        var config = Path.Combine(_dir, "pg.json");
        await File.WriteAllTextAsync(config, """{ "storage": { "kind": "postgres", "connectionStringEnv": "TOKENOPS_PG" } }""");
        var list = await CliProcess.RunAsync(env, "keys", "list", "--config", config, "--data", data);
        Assert.Equal(0, list.ExitCode);
        Assert.Contains("ada", list.Stdout);

        // Again: nothing new.
        (exit, stdout, _) = await CliProcess.RunAsync(env, "migrate", "--data", data, "--to-postgres");
        Assert.Equal(0, exit);
        Assert.Matches(@"keys\s+1\s+1\s+0", stdout);

        // An unreachable server: a clear error, no connection string.
        var down = new Dictionary<string, string> { ["TOKENOPS_PG"] = $"Host=127.0.0.1;Port={ServeSetup.FreePort()};Username=secretuser;Password=hunter2-not-shown;Timeout=3" };
        (exit, stdout, stderr) = await CliProcess.RunAsync(down, "migrate", "--data", data, "--to-postgres");
        Assert.NotEqual(0, exit);
        Assert.Contains("cannot reach PostgreSQL (TOKENOPS_PG)", stderr);
        Assert.DoesNotContain("hunter2", stdout + stderr);
        Assert.DoesNotContain("secretuser", stdout + stderr);
    }

    public void Dispose()
    {
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }
}
