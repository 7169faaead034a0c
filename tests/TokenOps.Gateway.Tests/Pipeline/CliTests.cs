using System.Text.Json;
using TokenOps.Gateway.Tests.Infrastructure;

namespace TokenOps.Gateway.Tests.Pipeline;

/// <summary>The executable's contract: --help everywhere, one-line errors with non-zero exits, keys and ledger for scripts.</summary>
public sealed class CliTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "tokenops-cli", Guid.NewGuid().ToString("N"));

    [Theory]
    [InlineData("serve", "--wrong-flag")]
    [InlineData("keys", "create", "--person", "x")]
    [InlineData("ledger", "--format", "xml")]
    [InlineData("bogus")]
    public async Task WrongUsage_OneLineError_NonZeroExit(params string[] args)
    {
        var (exit, _, stderr) = await CliProcess.RunAsync(args);
        Assert.Equal(2, exit);
        Assert.Single(stderr.Trim().Split('\n'));
        Assert.StartsWith("tokenops: ", stderr);
    }

    [Theory]
    [InlineData("""{"providers":{"openai":{"kind":"azure","baseUrl":"https://api.openai.com"}}}""", "providers.openai.kind")]
    [InlineData("""{"providers":{"openai":{"kind":"openai","baseUrl":"not a url"}}}""", "providers.openai.baseUrl")]
    [InlineData("""{"models":{"m":{"provider":"nope"}}}""", "models.m.provider")]
    [InlineData("""{"maxRequestBodyBytes":"lots"}""", "MaxRequestBodyBytes")]
    [InlineData("""{"unknownSetting":1}""", "unknownSetting")]
    [InlineData("""{"providers":""", "not valid JSON")]
    public async Task BadConfig_OneLineErrorNamingTheKey(string json, string named)
    {
        Directory.CreateDirectory(_dir);
        var path = Path.Combine(_dir, "tokenops.json");
        await File.WriteAllTextAsync(path, json);
        var (exit, _, stderr) = await CliProcess.RunAsync("serve", "--config", path, "--urls", "http://127.0.0.1:0", "--data", _dir);
        Assert.Equal(2, exit);
        Assert.Single(stderr.Trim().Split('\n'));
        Assert.Contains(named, stderr, StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData("serve")]
    [InlineData("simulator")]
    [InlineData("keys")]
    [InlineData("ledger")]
    [InlineData("demo")]
    public async Task EveryCommandHasHelp(string command)
    {
        var (exit, stdout, _) = await CliProcess.RunAsync(command, "--help");
        Assert.Equal(0, exit);
        Assert.Contains("Usage:", stdout);
    }

    [Fact]
    public async Task KeysCreate_PrintsKeyAloneOnLastLine_ListNeverShowsIt_Revoke()
    {
        var (exit, stdout, _) = await CliProcess.RunAsync("keys", "create", "--person", "mia", "--team", "data", "--data", _dir);
        Assert.Equal(0, exit);
        var key = stdout.TrimEnd().Split('\n')[^1];
        Assert.Matches("^tok_[A-Za-z0-9_-]{43}$", key);
        var (_, list, _) = await CliProcess.RunAsync("keys", "list", "--data", _dir);
        Assert.Contains("mia", list);
        Assert.DoesNotContain(key, list);
        var id = list.Split('\n')[1].Split(' ')[0];
        Assert.Equal(0, (await CliProcess.RunAsync("keys", "revoke", id, "--data", _dir)).ExitCode);
        Assert.Contains("revoked", (await CliProcess.RunAsync("keys", "list", "--data", _dir)).Stdout);
        Assert.Equal(2, (await CliProcess.RunAsync("keys", "revoke", "key_nope", "--data", _dir)).ExitCode);
    }

    [Fact]
    public async Task Demo_RunsTheOrganisation_AndTheLedgerCommandReadsIt()
    {
        var data = Path.Combine(_dir, "demo");
        var (exit, stdout, stderr) = await CliProcess.RunAsync("demo", "--exit", "--days", "3", "--urls", "http://127.0.0.1:0", "--data", data);
        Assert.True(exit == 0, stderr);
        Assert.Contains("By team", stdout);
        Assert.Contains("difference 0.000000000 USD", stdout);
        var (ledgerExit, json, _) = await CliProcess.RunAsync("ledger", "--data", data, "--format", "json");
        Assert.Equal(0, ledgerExit);
        var lines = json.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length > 20);
        using var first = JsonDocument.Parse(lines[0]);
        Assert.True(first.RootElement.GetProperty("cost_nanos").GetInt64() >= 0);
        Assert.StartsWith("sha256:", first.RootElement.GetProperty("catalog_version").GetString());
    }

    public void Dispose()
    {
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }
}
