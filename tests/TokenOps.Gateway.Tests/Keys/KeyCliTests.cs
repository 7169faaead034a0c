using TokenOps.Gateway.Tests.Infrastructure;

namespace TokenOps.Gateway.Tests.Keys;

/// <summary>The key lifecycle from the CLI, as an operator runs it: create with limits, list, set, rotate, move a person.</summary>
public sealed class KeyCliTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "tokenops-keycli-" + Guid.NewGuid().ToString("N")[..8]);

    [Fact]
    public async Task Keys_get_limits_rotate_and_people_move_from_the_cli()
    {
        var (exit, stdout, stderr) = await CliProcess.RunAsync("keys", "create", "--person", "ada", "--team", "payments", "--expires-in", "90d",
            "--models", "gpt-4o-mini,claude-*", "--data", _dir);
        Assert.True(exit == 0, stderr);
        Assert.Contains("models gpt-4o-mini,claude-*", stdout);
        var id = stdout.Split(' ').First(w => w.StartsWith("key_", StringComparison.Ordinal));

        (exit, stdout, stderr) = await CliProcess.RunAsync("keys", "rotate", id, "--overlap", "2h", "--data", _dir);
        Assert.True(exit == 0, stderr);
        Assert.Contains($"Rotated {id} to key_", stdout);
        Assert.StartsWith("tok_", stdout.Trim().Split('\n')[^1]);

        (exit, stdout, _) = await CliProcess.RunAsync("keys", "list", "--data", _dir);
        Assert.Equal(0, exit);
        Assert.Contains("overlap, rotated to key_", stdout);
        Assert.Contains("gpt-4o-mini,claude-*", stdout);

        (exit, stdout, stderr) = await CliProcess.RunAsync("keys", "set", id, "--any-model", "--no-expiry", "--data", _dir);
        Assert.True(exit == 0, stderr);
        Assert.Contains("expires -, models any", stdout);

        // Creating a key in another team says how to move the person; the move is dated.
        (exit, _, stderr) = await CliProcess.RunAsync("keys", "create", "--person", "ada", "--team", "growth", "--data", _dir);
        Assert.Equal(2, exit);
        Assert.Contains("tokenops people move ada --team growth", stderr);
        (exit, stdout, stderr) = await CliProcess.RunAsync("people", "move", "ada", "--team", "growth", "--from", "2099-01-01", "--data", _dir);
        Assert.True(exit == 0, stderr);
        (exit, stdout, _) = await CliProcess.RunAsync("people", "list", "--data", _dir);
        Assert.Contains("to growth from 2099-01-01", stdout);
        Assert.Contains("payments", stdout);

        (exit, _, stderr) = await CliProcess.RunAsync("keys", "create", "--person", "bo", "--team", "core", "--expires-in", "soon", "--data", _dir);
        Assert.Equal(2, exit);
        Assert.Contains("--expires-in", stderr);

        (exit, stdout, _) = await CliProcess.RunAsync("audit", "--data", _dir);
        Assert.Contains("keys.rotate", stdout);
        Assert.Contains("keys.limits", stdout);
        Assert.Contains("people.move", stdout);
    }

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, true);
    }
}
