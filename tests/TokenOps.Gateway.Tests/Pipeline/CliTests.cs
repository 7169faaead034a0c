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
    [InlineData("""{"budgets":{"teams":{"core":{"limitUsd":1,"peroid":"daily"}}}}""", "budgets.teams.core.peroid is not a setting; did you mean 'period'?")]
    [InlineData("""{"budget":{}}""", "budget is not a setting; did you mean 'budgets'?")]
    [InlineData("""{"budgets":{"teams":{"core":{"limitUsd":"ten"}}}}""", "budgets.teams.core.limitUsd must be a number, not \"ten\"")]
    [InlineData("""{"budgets":{"teams":"core"}}""", "budgets.teams must be an object")]
    [InlineData("""{"routing":{"routers":{"r":{"pinSessions":"sometimes"}}}}""", "routing.routers.r.pinSessions must be true or false")]
    public async Task BadConfig_OneLineErrorNamingTheKey(string json, string named)
    {
        Directory.CreateDirectory(_dir);
        var path = Path.Combine(_dir, "tokenops.json");
        await File.WriteAllTextAsync(path, json);
        var (exit, _, stderr) = await CliProcess.RunAsync("serve", "--config", path, "--urls", "http://127.0.0.1:0", "--data", _dir);
        Assert.Equal(2, exit);
        Assert.Single(stderr.Trim().Split('\n'));
        Assert.Contains(named, stderr, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("BinderOptions", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("System.", stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("status")]
    [InlineData("budgets", "list")]
    [InlineData("alerts")]
    [InlineData("ledger")]
    public async Task ReadingCommands_NeedNoProviderSecret_ButServeDoes(params string[] command)
    {
        Directory.CreateDirectory(_dir);
        var path = Path.Combine(_dir, "tokenops.json");
        var unset = "TOKENOPS_TEST_UNSET_" + Guid.NewGuid().ToString("N");
        await File.WriteAllTextAsync(path, $$$"""
            {"providers":{"openai":{"kind":"openai","baseUrl":"https://api.openai.com","apiKeyEnv":"{{{unset}}}"} },
             "budgets":{"teams":{"core":{"limitUsd":10,"period":"monthly"} } },
             "alerts":{"webhooks":[{"format":"json","urlEnv":"{{{unset}}}_HOOK"}]},
             "telemetry":{"metricsTokenEnv":"{{{unset}}}_METRICS"}}
            """);
        var (exit, _, stderr) = await CliProcess.RunAsync([.. command, "--config", path, "--data", _dir]);
        Assert.True(exit == 0, stderr);
        (exit, _, stderr) = await CliProcess.RunAsync("serve", "--config", path, "--urls", "http://127.0.0.1:0", "--data", _dir);
        Assert.Equal(2, exit);
        Assert.Contains($"providers.openai.apiKeyEnv names the environment variable {unset}, which is not set", stderr);
    }

    [Fact]
    public async Task ABusyPort_IsOneLineNamingTheAddress_Exit2()
    {
        using var holder = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        holder.Start();
        var port = ((System.Net.IPEndPoint)holder.LocalEndpoint).Port;
        var (exit, _, stderr) = await CliProcess.RunAsync("serve", "--simulate", "--urls", $"http://127.0.0.1:{port}", "--data", _dir);
        Assert.Equal(2, exit);
        Assert.Single(stderr.Trim().Split('\n'));
        Assert.Contains($"cannot listen on http://127.0.0.1:{port}: the address is already in use", stderr);
    }

    [Theory]
    [InlineData("serve")]
    [InlineData("simulator")]
    [InlineData("keys")]
    [InlineData("ledger")]
    [InlineData("demo")]
    [InlineData("savings")]
    public async Task EveryCommandHasHelp(string command)
    {
        var (exit, stdout, _) = await CliProcess.RunAsync(command, "--help");
        Assert.Equal(0, exit);
        Assert.Contains("Usage:", stdout);
    }

    [Fact]
    public async Task ServeSimulate_TheCliStartsTheSimulator_AndTheGatewayServesFromIt()
    {
        var (exit, created, _) = await CliProcess.RunAsync("keys", "create", "--person", "sim", "--team", "core", "--data", _dir);
        Assert.Equal(0, exit);
        var key = created.TrimEnd().Split('\n')[^1];
        using var serve = CliProcess.Start("serve", "--simulate", "--urls", "http://127.0.0.1:0", "--data", _dir);
        var listening = await serve.WaitForLineAsync("TokenOps gateway listening on ", TimeSpan.FromSeconds(30));
        await serve.WaitForLineAsync("Simulated provider on http://127.0.0.1:", TimeSpan.FromSeconds(30));
        var url = listening.Split("TokenOps gateway listening on ")[1].Split(' ')[0];
        using var http = new HttpClient { BaseAddress = new Uri(url) };
        http.DefaultRequestHeaders.Authorization = new("Bearer", key);
        using var response = await http.PostAsync("/v1/chat/completions", new StringContent(
            """{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}""", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
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
        // Four weeks: whatever today's date, one calendar month holds at least ten simulated workdays (growth's soft cap is
        // crossed) and at least one whole week falls inside (farah's weekly stipend runs out).
        var (exit, stdout, stderr) = await CliProcess.RunAsync("demo", "--exit", "--days", "28", "--urls", "http://127.0.0.1:0", "--data", data);
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

        // The enforcement figures printed are the ledger's: 402 rows, rows whose budget_action starts with "degraded".
        var rows = lines.Select(l => JsonDocument.Parse(l).RootElement).ToList();
        var refused = rows.Where(r => r.GetProperty("status").GetInt32() == 402).ToList();
        var degraded = rows.Count(r => r.TryGetProperty("budget_action", out var a) && a.ValueKind == JsonValueKind.String && a.GetString()!.StartsWith("degraded", StringComparison.Ordinal));
        Assert.Equal(refused.Count, Number(stdout, @"refused with HTTP 402:\s+(\d+)"));
        Assert.Equal(refused.Count, Number(stdout, @"(\d+) refused by a hard budget \(402, expected\)"));
        Assert.Equal(degraded, Number(stdout, @"degraded to a cheaper model:\s+(\d+)"));
        Assert.True(refused.Count > 0, stdout);
        Assert.True(degraded > 0, stdout);
        // Only the one person with a small hard stipend is refused; nobody else's requests failed.
        Assert.All(refused, r => Assert.Equal("farah", r.GetProperty("person").GetString()));
        Assert.Matches(@"failed 0, refused by budgets \d+", stdout);

        // Budget status for the pool, the three teams and the stipend, each with a forecast at period end.
        foreach (var budget in new[] { "organisation ", "team payments ", "team growth ", "team platform ", "person farah " })
            Assert.Matches(@"(?m)^" + budget + @"\s+(monthly|weekly)\s+(hard \(402\)|soft: \w+)\s+\$", stdout);

        // Alerts printed are the alerts stored (the alerts command reads them back), and a team crossed a threshold.
        var (alertsExit, alertsJson, _) = await CliProcess.RunAsync("alerts", "--data", data, "--format", "json");
        Assert.Equal(0, alertsExit);
        var alerts = alertsJson.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(alerts.Length, Number(stdout, @"Alerts raised: (\d+)"));
        Assert.Contains(alerts, a => a.Contains("\"kind\":\"threshold\"", StringComparison.Ordinal) && a.Contains("\"level\":\"team\"", StringComparison.Ordinal));

        // Token poker's top 5 with names (not anonymised), merged PRs from signed webhooks, cost per PR and ROI with its formula.
        Assert.Contains("Token poker, week of", stdout);
        Assert.Equal(5, stdout.Split('\n').Count(l => System.Text.RegularExpressions.Regex.IsMatch(l, @"^\s+[1-5] [a-z]+\s+(payments|platform|growth)\s+\$")));
        var merged = Number(stdout, @"(\d+) merged PRs by webhook");
        Assert.True(merged > 0);
        Assert.Equal(merged, Number(stdout, @"Outcomes: (\d+) merged PRs"));
        Assert.Matches(@"cost per merged PR: median \$\d+\.\d+, mean \$\d+\.\d+", stdout);
        Assert.Contains("ROI = (value − cost) / cost = (", stdout);
        // One team's what-if: the payments team's weeks repriced onto Haiku, beside what they cost.
        var whatIf = Assert.Single(stdout.Split('\n'), l => l.StartsWith("What if: team payments on claude-haiku-4-5, ", StringComparison.Ordinal));
        Assert.Matches(@": \$\d+\.\d{4} instead of \$\d+\.\d{4} \(\d+ requests, \d+ it could not serve", whatIf);
        // The waste detectors over the same weeks: findings with dollars and a fix, the dearest first.
        var waste = Number(stdout, @"Waste: (\d+) finding\(s\)");
        Assert.True(waste > 0, stdout);
        var listed = stdout.Split('\n').Where(l => System.Text.RegularExpressions.Regex.IsMatch(l, @"^  +\$[\d,]+\.\d{4}  [a-z-]+ .* row\(s\)  fix: \S")).ToList();
        Assert.Equal(Math.Min(5, waste), listed.Count);
        // The paster's whole files and the re-roller's repeats are among them.
        Assert.Contains(listed, l => l.Contains(" context-stuffing ", StringComparison.Ordinal));
        Assert.Contains(listed, l => l.Contains(" retry-by-vibes ", StringComparison.Ordinal));
        Assert.Contains(listed, l => l.Contains(" ownerless-automation ", StringComparison.Ordinal) && l.Contains("evalbot", StringComparison.Ordinal));

        // The helpdesk bot's repeats are answered by the response cache (exact and semantic): free rows naming their
        // source, counted as the summary says, and the savings table shows the cache-hit and batch levers with dollars.
        var hits = rows.Where(r => r.GetProperty("cache_hit").ValueKind == JsonValueKind.String).ToList();
        Assert.Equal(hits.Count, Number(stdout, @"(\d+) answered by the response cache"));
        Assert.True(hits.Count > 50, stdout);
        Assert.Contains(hits, r => r.GetProperty("cache_hit").GetString() == "semantic");
        Assert.All(hits, r =>
        {
            Assert.Equal(0, r.GetProperty("cost_nanos").GetInt64());
            Assert.Equal("mia", r.GetProperty("person").GetString());
            Assert.StartsWith("evt_", r.GetProperty("cache_source_id").GetString());
        });
        Assert.Matches(@"(?m)^cache-hit\s+\d+\s+\$0\.0*[1-9]", stdout);
        Assert.Matches(@"(?m)^batch\s+\d+\s+\$0\.0*[1-9]", stdout);

        // With --exit the gateway has stopped: the summary says where the ledger is and how to explore it, and does not
        // invite anyone to a dashboard or a curl that would find nothing listening.
        Assert.Contains("the gateway has stopped", stdout);
        Assert.Contains($"tokenops serve --simulate --data {data}", stdout);
        Assert.DoesNotContain("is running", stdout);
        Assert.DoesNotContain("Dashboard: http", stdout);
    }

    private static int Number(string text, string pattern)
    {
        var match = System.Text.RegularExpressions.Regex.Match(text, pattern);
        Assert.True(match.Success, $"no '{pattern}' in: {text}");
        return int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
    }

    public void Dispose()
    {
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }
}
