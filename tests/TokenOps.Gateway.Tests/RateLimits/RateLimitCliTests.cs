using System.Net;
using TokenOps.Gateway.Tests.Budgets;
using TokenOps.Gateway.Tests.Infrastructure;

namespace TokenOps.Gateway.Tests.RateLimits;

/// <summary>`tokenops limits` as a separate process beside a running gateway on the same data directory, and its input errors.</summary>
public sealed class RateLimitCliTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "tokenops-limits-cli", Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private static async Task<HttpStatusCode> UntilAsync(HttpClient http, HttpStatusCode wanted)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        HttpStatusCode status;
        do
        {
            await Task.Delay(100);
            using var response = await http.SendAsync(BudgetRequests.Chat(maxTokens: 16));
            status = response.StatusCode;
        }
        while (status != wanted && DateTime.UtcNow < deadline);
        return status;
    }

    [Fact]
    public async Task LimitsSetListRemove_ApplyToARunningGatewayWithinSeconds()
    {
        await using var gateway = await GatewayFixture.StartAsync();
        using var http = gateway.Client(gateway.CreateKey("kim", "payments"));
        using (var before = await http.SendAsync(BudgetRequests.Chat(maxTokens: 16))) Assert.Equal(HttpStatusCode.OK, before.StatusCode);

        var (exit, stdout, stderr) = await CliProcess.RunAsync("limits", "set", "--team", "payments", "--rpm", "1", "--tpm", "100000", "--concurrent", "4", "--data", gateway.DataDirectory);
        Assert.True(exit == 0, stderr);
        Assert.Contains("team:payments: 1 requests/min, 100000 tokens/min, 4 concurrent", stdout);
        Assert.Equal(HttpStatusCode.TooManyRequests, await UntilAsync(http, HttpStatusCode.TooManyRequests));

        var (listExit, listOut, _) = await CliProcess.RunAsync("limits", "list", "--data", gateway.DataDirectory);
        Assert.Equal(0, listExit);
        var line = listOut.Split('\n').Single(l => l.StartsWith("team:payments", StringComparison.Ordinal));
        Assert.Equal(["team:payments", "1", "100000", "4", "set"], line.Split(' ', StringSplitOptions.RemoveEmptyEntries));

        var (removeExit, removeOut, _) = await CliProcess.RunAsync("limits", "remove", "team:payments", "--data", gateway.DataDirectory);
        Assert.Equal(0, removeExit);
        Assert.Contains("Removed team:payments.", removeOut);
        Assert.Equal(HttpStatusCode.OK, await UntilAsync(http, HttpStatusCode.OK));

        var rows = await gateway.LedgerAsync();
        Assert.Contains(rows, r => r.Status == 429 && r.BudgetAction == "rate_limited:team:payments:requests_per_minute");
    }

    [Theory]
    [InlineData("limits", "set", "--rpm", "5")]
    [InlineData("limits", "set", "--team", "a", "--person", "b", "--rpm", "5")]
    [InlineData("limits", "set", "--team", "a")]
    [InlineData("limits", "set", "--team", "a", "--rpm", "0")]
    [InlineData("limits", "set", "--team", "a", "--concurrent", "-1")]
    [InlineData("limits", "set", "--team", "a", "--tpm", "lots")]
    [InlineData("limits", "remove", "team:none")]
    [InlineData("limits", "remove", "org:all")]
    public async Task BadLimitsInput_OneLineError_Exit2(params string[] args)
    {
        var (exit, _, stderr) = await CliProcess.RunAsync([.. args, "--data", _dir]);
        Assert.Equal(2, exit);
        Assert.Single(stderr.Trim().Split('\n'));
        Assert.StartsWith("tokenops: ", stderr);
    }

    [Fact]
    public async Task LimitsList_ShowsConfiguredAndStoredRules_WithTheirSource()
    {
        Directory.CreateDirectory(_dir);
        var config = Path.Combine(_dir, "tokenops.json");
        await File.WriteAllTextAsync(config, """{"rateLimits":{"defaultPerson":{"requestsPerMinute":30},"teams":{"ops":{"concurrent":2}}}}""");
        var (setExit, _, setErr) = await CliProcess.RunAsync("limits", "set", "--team", "ops", "--rpm", "9", "--data", _dir, "--config", config);
        Assert.True(setExit == 0, setErr);

        var (exit, stdout, _) = await CliProcess.RunAsync("limits", "list", "--data", _dir, "--config", config);

        Assert.Equal(0, exit);
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(l => string.Join(' ', l.Split(' ', StringSplitOptions.RemoveEmptyEntries))).ToList();
        Assert.Equal(["default:person 30 - - config", "team:ops 9 - - set"], lines);
    }
}
