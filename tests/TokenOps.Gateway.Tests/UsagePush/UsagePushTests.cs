using System.Net;
using System.Text;
using System.Text.Json;
using TokenOps.Core.Pricing;
using TokenOps.Gateway.Configuration;
using TokenOps.Gateway.Tests.Budgets;
using TokenOps.Gateway.Tests.Infrastructure;

namespace TokenOps.Gateway.Tests.UsagePush;

/// <summary>
/// One ledger for every laptop: developers' Claude Code and Codex logs reach the organisation's gateway with their own
/// key (`tokenops import claude-code --to URL --key`), priced by the gateway, idempotent, and seen by live budgets.
/// </summary>
public sealed class UsagePushTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "tokenops-push", Guid.NewGuid().ToString("N"));

    private static string Assistant(string msg, string ts, long input, long output, string model = "claude-sonnet-4-5") =>
        "{\"type\":\"assistant\",\"timestamp\":\"" + ts + "\",\"sessionId\":\"s1\",\"requestId\":\"req_" + msg + "\",\"cwd\":\"/home/ada/payments\","
        + $"\"message\":{{\"id\":\"{msg}\",\"model\":\"{model}\",\"usage\":{{\"input_tokens\":{input},\"output_tokens\":{output},\"cache_creation_input_tokens\":0,\"cache_read_input_tokens\":0}}}}}}";

    private string Logs(params string[] lines)
    {
        var dir = Path.Combine(_dir, "claude", "projects", "-home-ada-payments");
        Directory.CreateDirectory(dir);
        File.AppendAllLines(Path.Combine(dir, "s1.jsonl"), lines);
        return Path.Combine(_dir, "claude");
    }

    [Fact]
    public async Task ImportTo_SendsLocalAgentLogs_OnceEach_AttributedToTheKey_AndSeenByLiveBudgets()
    {
        await using var gateway = await GatewayFixture.StartAsync(o => o.Budgets.People["ada"] = new BudgetOptions { LimitUsd = 10m, Period = "monthly" });
        var key = gateway.CreateKey("ada", "payments");
        var now = DateTimeOffset.UtcNow.AddMinutes(-5).ToString("yyyy-MM-ddTHH:mm:ss.fffZ");
        var logs = Logs(Assistant("msg_1", now, 1000, 200), Assistant("msg_2", now, 3000, 400), Assistant("msg_3", now, 10, 10, model: "no-such-model"));
        var local = Path.Combine(_dir, "local");
        string[] push = ["import", "claude-code", logs, "--to", gateway.BaseUrl.ToString(), "--key", key, "--data", local];

        var (exit, stdout, stderr) = await CliProcess.RunAsync(push);
        Assert.True(exit == 0, stderr + stdout);
        Assert.Contains("2 new, 0 already there", stdout);

        var rows = (await gateway.LedgerAsync(2)).OrderBy(r => r.Usage.TotalInput).ToList();
        Assert.Equal(2, rows.Count);
        Assert.All(rows, r => Assert.Equal(("ada", "payments", "claude-code", "payments", "s1"), (r.Person, r.Team, r.Source, r.Project, r.SessionId)));
        // Priced by the gateway's catalog, never by the client: sonnet-4-5, 1000 x 3e-6 + 200 x 15e-6 = 0.006.
        Assert.Equal(6_000_000, rows[0].CostNanos);
        Assert.True(BundledCatalog.Load().TryGet("claude-sonnet-4-5", out var sonnet));
        Assert.Equal(NanoUsd.FromUsd(CostCalculator.Compute(sonnet, rows[1].Usage).Total), rows[1].CostNanos);
        // The live counter took the spend at once (no restart, no reconcile).
        var spent = gateway.Engine().Book.For("ada", "payments", null, DateTimeOffset.UtcNow).Single(s => s.BudgetId == "person:ada").Spent;
        Assert.Equal(NanoUsd.ToUsd(rows.Sum(r => r.CostNanos)), spent);

        // Incremental: a new line is sent alone; nothing is counted twice.
        Logs(Assistant("msg_4", now, 500, 50));
        (exit, stdout, stderr) = await CliProcess.RunAsync(push);
        Assert.True(exit == 0, stderr);
        Assert.Contains("1 new, 0 already there", stdout);
        Assert.Equal(3, (await gateway.LedgerAsync(3)).Count);

        // A lost progress record (a new local data directory) resends everything: the gateway keeps one row per event.
        (exit, stdout, stderr) = await CliProcess.RunAsync(["import", "claude-code", logs, "--to", gateway.BaseUrl.ToString(), "--key", key, "--data", Path.Combine(_dir, "fresh")]);
        Assert.True(exit == 0, stderr);
        Assert.Contains("0 new, 3 already there", stdout);
        Assert.Equal(3, (await gateway.LedgerAsync()).Count);
        var after = gateway.Engine().Book.For("ada", "payments", null, DateTimeOffset.UtcNow).Single(s => s.BudgetId == "person:ada").Spent;
        Assert.Equal(NanoUsd.ToUsd((await gateway.LedgerAsync()).Sum(r => r.CostNanos)), after);
    }

    [Fact]
    public async Task ThePushEndpoint_RefusesStrangers_AndBadBodies_InTheOpenAIErrorFormat_AndScopesIdsByPerson()
    {
        await using var gateway = await GatewayFixture.StartAsync();
        const string Event = """{"id":"cc_abc","source":"claude-code","timestamp":"2026-12-01T10:00:00Z","model":"claude-haiku-4-5","usage":{"input_tokens":100,"output_tokens":10}}""";
        static StringContent Body(string json) => new(json, Encoding.UTF8, "application/json");

        using (var anonymous = gateway.Client())
        {
            using var response = await anonymous.PostAsync("/v1/tokenops/usage", Body($$"""{"events":[{{Event}}]}"""));
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Equal("missing_api_key", JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetProperty("code").GetString());
        }
        using var ada = gateway.Client(gateway.CreateKey("ada", "core"));
        foreach (var (json, code) in new[]
        {
            ("{\"events\":", "invalid_json"),
            ("""{"events":[],"events":[]}""", "invalid_json"),
            ("""{"evts":[]}""", "invalid_request"),
            ("{\"events\":[" + string.Join(',', Enumerable.Repeat("{}", 5001)) + "]}", "too_many_events"),
        })
        {
            using var response = await ada.PostAsync("/v1/tokenops/usage", Body(json));
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Equal(code, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetProperty("code").GetString());
        }
        // Bad events are rejected one by one with a reason; the good one is kept.
        var mixed = "{\"events\":[" + Event + """,{"id":"cc_x","source":"claude-code","timestamp":"2026-12-01T10:00:00Z","model":"claude-haiku-4-5","usage":{"input_tokens":-5}},{"id":"cc_y","source":"vim","timestamp":"x","model":"m","usage":{}}]}""";
        using (var response = await ada.PostAsync("/v1/tokenops/usage", Body(mixed)))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var result = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
            Assert.Equal((3, 1), (result.GetProperty("received").GetInt32(), result.GetProperty("added").GetInt32()));
            var reasons = result.GetProperty("rejected").EnumerateArray().Select(r => r.GetProperty("reason").GetString()!).ToList();
            Assert.Contains(reasons, r => r.Contains("usage.input_tokens", StringComparison.Ordinal));
            Assert.Contains(reasons, r => r.Contains("source", StringComparison.Ordinal));
        }
        // The same event id from another person is their own row: ids cannot pre-empt another developer's usage.
        using var bob = gateway.Client(gateway.CreateKey("bob", "core"));
        using (var response = await bob.PostAsync("/v1/tokenops/usage", Body($$"""{"events":[{{Event}}]}""")))
            Assert.Equal(1, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("added").GetInt32());
        var rows = await gateway.LedgerAsync(2);
        Assert.Equal(["ada", "bob"], rows.Select(r => r.Person).Order());
    }

    public void Dispose()
    {
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }
}
