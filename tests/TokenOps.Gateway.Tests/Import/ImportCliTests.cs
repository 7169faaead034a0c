using System.Diagnostics;
using System.Text.Json;

namespace TokenOps.Gateway.Tests.Import;

/// <summary>`tokenops import` and `tokenops report` on small hand-written log trees, through the real executable.</summary>
public sealed class ImportCliTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "tokenops-import", Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    private static string Assistant(string msg, string req, string ts, long input, long output, long cc = 0, long cr = 0, string model = "claude-sonnet-4-20250514", bool sidechain = false, string session = "s1") =>
        "{\"type\":\"assistant\",\"isSidechain\":" + (sidechain ? "true" : "false") + $",\"timestamp\":\"{ts}\",\"sessionId\":\"{session}\",\"requestId\":\"{req}\",\"version\":\"2.1.97\","
        + $"\"message\":{{\"id\":\"{msg}\",\"model\":\"{model}\",\"content\":[{{\"type\":\"text\",\"text\":\"{new string('x', 300)}\"}}],"
        + $"\"usage\":{{\"input_tokens\":{input},\"output_tokens\":{output},\"cache_creation_input_tokens\":{cc},\"cache_read_input_tokens\":{cr}}}}}}}";

    private const string User = """{"type":"user","timestamp":"2026-01-09T09:59:00.000Z","sessionId":"s1","message":{"role":"user","content":"please"}}""";

    private string Write(string relative, params string[] lines)
    {
        var path = Path.Combine(_dir, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, string.Join("\n", lines) + "\n");
        return path;
    }

    private static async Task<(int Exit, string Stdout, string Stderr)> Run(IDictionary<string, string>? env, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "tokenops.dll"));
        foreach (var a in args) info.ArgumentList.Add(a);
        info.Environment["DOTNET_NOLOGO"] = "1";
        info.Environment["TZ"] = "UTC";
        info.Environment.Remove("CLAUDE_CONFIG_DIR");
        info.Environment.Remove("CODEX_HOME");
        foreach (var (k, v) in env ?? new Dictionary<string, string>()) info.Environment[k] = v;
        using var p = Process.Start(info)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await p.WaitForExitAsync(timeout.Token);
        return (p.ExitCode, await stdout, await stderr);
    }

    private static Task<(int Exit, string Stdout, string Stderr)> Run(params string[] args) => Run(null, args);

    private async Task<long> LedgerRows(string data)
    {
        var (exit, stdout, _) = await Run("ledger", "--data", data, "--format", "json");
        Assert.Equal(0, exit);
        return stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length;
    }

    [Fact]
    public async Task Import_StreamedDuplicatesOnce_TwiceAddsNothing_GrownFileAddsOnlyNew()
    {
        var data = Path.Combine(_dir, "data");
        var file = Write("claude/projects/-home-me-alpha/s1.jsonl",
            User,
            Assistant("msg_1", "req_1", "2026-01-09T10:00:00.000Z", 100, 1, 25, 10),
            Assistant("msg_1", "req_1", "2026-01-09T10:00:01.000Z", 100, 50, 25, 10),
            Assistant("msg_2", "req_2", "2026-01-09T10:01:00.000Z", 7, 3));
        var (exit, stdout, stderr) = await Run("import", "claude-code", Path.Combine(_dir, "claude"), "--data", data, "--person", "mia");
        Assert.True(exit == 0, stderr);
        Assert.Contains("2 row(s) added", stdout);
        Assert.Contains("1 duplicate(s) merged", stdout);

        (_, stdout, _) = await Run("import", "claude-code", Path.Combine(_dir, "claude"), "--data", data, "--person", "mia");
        Assert.Contains("(1 unchanged), 0 new line(s) read, 0 row(s) added", stdout);
        Assert.Equal(2, await LedgerRows(data));

        // The file grows: the rest of a streamed message (more output), a new message, and a half-written last line.
        File.AppendAllText(file, Assistant("msg_2", "req_2", "2026-01-09T10:01:02.000Z", 7, 90) + "\n"
            + Assistant("msg_3", "req_3", "2026-01-09T10:02:00.000Z", 1, 1) + "\n"
            + Assistant("msg_4", "req_4", "2026-01-09T10:03:00.000Z", 2, 2)[..60]);
        (_, stdout, _) = await Run("import", "claude-code", Path.Combine(_dir, "claude"), "--data", data, "--person", "mia");
        Assert.Contains("3 new line(s) read", stdout);
        Assert.Contains("0 line(s) skipped", stdout); // a partial last line may still be being written
        Assert.Equal(3, await LedgerRows(data));

        // The line completes: only it is new.
        File.WriteAllText(file, File.ReadAllText(file)[..^60] + Assistant("msg_4", "req_4", "2026-01-09T10:03:00.000Z", 2, 2) + "\n");
        (_, stdout, _) = await Run("import", "claude-code", Path.Combine(_dir, "claude"), "--data", data);
        Assert.Contains("1 new line(s) read, 1 row(s) added", stdout);

        var (_, json, _) = await Run("ledger", "--data", data, "--format", "json");
        var rows = json.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(4, rows.Count);
        var msg2 = rows.Single(r => r.GetProperty("provider_request_id").GetString() == "req_2");
        Assert.Equal(90, msg2.GetProperty("output_tokens").GetInt64()); // the completed copy replaced the partial one
        Assert.All(rows, r => Assert.Equal("claude-code", r.GetProperty("source").GetString()));
        Assert.All(rows, r => Assert.Equal("-home-me-alpha", r.GetProperty("project").GetString()));
        Assert.All(rows, r => Assert.Equal("s1", r.GetProperty("session_id").GetString()));
        Assert.Equal(3, rows.Count(r => r.GetProperty("person").GetString() == "mia"));

        // Ledger report = report straight from the logs.
        var (_, fromLedger, _) = await Run("report", "daily", "--data", data, "--json");
        var (_, fromLogs, _) = await Run("report", "daily", "--from", "claude-code", "--path", Path.Combine(_dir, "claude"), "--json", "--mode", "calculate");
        Assert.Equal(Totals(fromLogs), Totals(fromLedger));
    }

    private static string Totals(string json) => JsonDocument.Parse(json).RootElement.GetProperty("totals").GetRawText();

    [Fact]
    public async Task Report_FromLogs_HandComputed_BadLinesCountedAndNamed()
    {
        Write("claude/projects/-home-me-alpha/s1.jsonl",
            User,
            Assistant("msg_1", "req_1", "2026-01-09T10:00:00.000Z", 100, 1, 25, 10),
            Assistant("msg_1", "req_1", "2026-01-09T10:00:01.000Z", 100, 50, 25, 10),
            Assistant("msg_2", "req_2", "2026-01-09T10:01:00.000Z", 7, 3)[..200],                          // truncated
            Assistant("msg_3", "req_3", "2026-01-09T10:02:00.000Z", 7, 3, model: "claude-unknown-9"),      // unknown model
            Assistant("msg_4", "req_4", "2026-01-09T10:03:00.000Z", 65, 30, 15, 20, model: "claude-haiku-4-5-20251001"),
            Assistant("msg_4", "req_9", "2026-01-09T10:03:00.000Z", 65, 30, 15, 20, model: "claude-haiku-4-5-20251001", sidechain: true));
        File.CreateSymbolicLink(Path.Combine(_dir, "claude/projects/-home-me-alpha/gone.jsonl"), Path.Combine(_dir, "nowhere.jsonl")); // unreadable
        var (exit, stdout, stderr) = await Run("report", "daily", "--from", "claude-code", "--path", Path.Combine(_dir, "claude"), "--json", "--mode", "calculate");
        Assert.True(exit == 0, stderr);
        var root = JsonDocument.Parse(stdout).RootElement;
        var day = Assert.Single(root.GetProperty("daily").EnumerateArray());
        Assert.Equal("2026-01-09", day.GetProperty("date").GetString());
        Assert.Equal(165, day.GetProperty("inputTokens").GetInt64());
        Assert.Equal(80, day.GetProperty("outputTokens").GetInt64());
        Assert.Equal(40, day.GetProperty("cacheCreationTokens").GetInt64());
        Assert.Equal(30, day.GetProperty("cacheReadTokens").GetInt64());
        Assert.Equal(0.0013825m, day.GetProperty("totalCost").GetDecimal()); // 0.00114675 (sonnet-4) + 0.00023575 (haiku-4-5)
        var skipped = root.GetProperty("skipped");
        Assert.Equal(3, skipped.GetProperty("lines").GetInt32());
        var named = skipped.GetProperty("first").EnumerateArray().Select(s => $"{s.GetProperty("file").GetString()}:{s.GetProperty("line").GetInt64()}").ToList();
        Assert.Contains("-home-me-alpha/s1.jsonl:4", named);
        Assert.Contains("-home-me-alpha/s1.jsonl:5", named);
        Assert.Contains("-home-me-alpha/gone.jsonl:0", named);
        Assert.Contains("3 lines skipped", stderr);

        var (_, table, _) = await Run("report", "daily", "--from", "claude-code", "--path", Path.Combine(_dir, "claude"), "--breakdown");
        Assert.Contains("2026-01-09", table);
        Assert.Contains("3 lines skipped: -home-me-alpha/gone.jsonl", table);
        Assert.Contains("unknown model 'claude-unknown-9'", table);
    }

    [Fact]
    public async Task ClaudeConfigDir_CommaSeparated_IsHonoured()
    {
        Write("a/projects/p1/s1.jsonl", Assistant("msg_1", "req_1", "2026-01-09T10:00:00.000Z", 100, 50));
        Write("b/projects/p2/s2.jsonl", Assistant("msg_2", "req_2", "2026-01-10T10:00:00.000Z", 100, 50, session: "s2"), Assistant("msg_1", "req_1", "2026-01-09T10:00:00.000Z", 100, 50, session: "s2"));
        var env = new Dictionary<string, string> { ["CLAUDE_CONFIG_DIR"] = $"{Path.Combine(_dir, "a")},{Path.Combine(_dir, "b")}", ["HOME"] = _dir };
        var (exit, stdout, stderr) = await Run(env, "report", "daily", "--from", "claude-code", "--json");
        Assert.True(exit == 0, stderr);
        Assert.Equal(["2026-01-09", "2026-01-10"], JsonDocument.Parse(stdout).RootElement.GetProperty("daily").EnumerateArray().Select(d => d.GetProperty("date").GetString()));
        Assert.Equal(300, JsonDocument.Parse(stdout).RootElement.GetProperty("totals").GetProperty("totalTokens").GetInt64()); // msg_1 counted once

        var (_, session, _) = await Run(env, "report", "session", "--from", "claude-code", "--json");
        Assert.Equal(["s1", "s2"], JsonDocument.Parse(session).RootElement.GetProperty("sessions").EnumerateArray().Select(s => s.GetProperty("sessionId").GetString()).Order());

        var data = Path.Combine(_dir, "data");
        (exit, stdout, _) = await Run(env, "import", "claude-code", "--data", data);
        Assert.Contains("2 file(s)", stdout);
        Assert.Contains("2 row(s) added", stdout);
    }

    [Fact]
    public async Task Codex_ImportAndReport()
    {
        Write("codex/sessions/2026/05/13/rollout-1.jsonl",
            """{"timestamp":"2026-05-13T10:00:00.000Z","type":"session_meta","payload":{"id":"sess-1","cwd":"/home/me/alpha"}}""",
            """{"timestamp":"2026-05-13T10:00:01.000Z","type":"turn_context","payload":{"model":"gpt-5.2-codex"}}""",
            """{"timestamp":"2026-05-13T10:00:02.000Z","type":"event_msg","payload":{"type":"token_count","info":{"total_token_usage":{"input_tokens":1000,"cached_input_tokens":250,"output_tokens":125,"reasoning_output_tokens":75,"total_tokens":1125},"last_token_usage":{"input_tokens":1000,"cached_input_tokens":250,"output_tokens":125,"reasoning_output_tokens":75,"total_tokens":1125}}}}""");
        var env = new Dictionary<string, string> { ["CODEX_HOME"] = Path.Combine(_dir, "codex") };
        var (exit, stdout, stderr) = await Run(env, "report", "daily", "--from", "codex", "--json");
        Assert.True(exit == 0, stderr);
        var day = Assert.Single(JsonDocument.Parse(stdout).RootElement.GetProperty("daily").EnumerateArray());
        Assert.Equal(750, day.GetProperty("inputTokens").GetInt64());
        Assert.Equal(250, day.GetProperty("cacheReadTokens").GetInt64());
        Assert.Equal(0.00310625m, day.GetProperty("totalCost").GetDecimal()); // REFERENCE.md 2.4 Codex fixture

        var data = Path.Combine(_dir, "data");
        (_, stdout, _) = await Run(env, "import", "codex", "--data", data);
        Assert.Contains("1 row(s) added", stdout);
        (_, stdout, _) = await Run(env, "import", "codex", "--data", data);
        Assert.Contains("0 row(s) added", stdout);
        // The session grows with a totals-only event: the delta comes from the totals carried over from the last import.
        File.AppendAllText(Path.Combine(_dir, "codex/sessions/2026/05/13/rollout-1.jsonl"),
            """{"timestamp":"2026-05-13T10:05:00.000Z","type":"event_msg","payload":{"type":"token_count","info":{"total_token_usage":{"input_tokens":3500,"cached_input_tokens":750,"output_tokens":425,"reasoning_output_tokens":275,"total_tokens":3925}}}}""" + "\n");
        (_, stdout, _) = await Run(env, "import", "codex", "--data", data);
        Assert.Contains("1 new line(s) read, 1 row(s) added", stdout);
        var (_, ledger, _) = await Run("ledger", "--data", data, "--format", "json");
        var grown = ledger.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(2, grown.Count);
        Assert.Equal(2000, grown[1].GetProperty("uncached_input_tokens").GetInt64());
        Assert.Equal(500, grown[1].GetProperty("cache_read_tokens").GetInt64());
        Assert.Equal("gpt-5.2-codex", grown[1].GetProperty("served_model").GetString()); // model carried over too
        var row = grown[0];
        Assert.Equal("codex", row.GetProperty("source").GetString());
        Assert.Equal("alpha", row.GetProperty("project").GetString());
        Assert.Equal("sess-1", row.GetProperty("session_id").GetString());
    }

    [Fact]
    public async Task ProviderExports_ImportIdempotently()
    {
        var openai = Write("openai.json", """
            {"object":"page","data":[{"object":"bucket","start_time":1767225600,"end_time":1767312000,"results":[
              {"object":"organization.usage.completions.result","input_tokens":1000,"output_tokens":500,"input_cached_tokens":800,"num_model_requests":5,"project_id":"proj_1","user_id":null,"api_key_id":null,"model":"gpt-4o","batch":false},
              {"object":"organization.usage.completions.result","input_tokens":1000,"output_tokens":500,"input_cached_tokens":0,"num_model_requests":1,"project_id":"proj_1","model":"gpt-4o","batch":true},
              {"object":"organization.usage.completions.result","input_tokens":1,"output_tokens":1,"model":"no-such-model"}]}],
             "has_more":false,"next_page":null}
            """);
        var costs = Write("openai-costs.jsonl",
            """{"object":"page","data":[{"object":"bucket","start_time":1767225600,"end_time":1767312000,"results":[{"object":"organization.costs.result","amount":{"value":0.42,"currency":"usd"},"line_item":"gpt-4o, input","project_id":"proj_1"}]}],"has_more":false}""",
            """{"object":"page","data":[""");
        var anthropic = Write("anthropic.json", """
            {"data":[{"starting_at":"2026-01-01T00:00:00Z","ending_at":"2026-01-02T00:00:00Z","results":[
              {"uncached_input_tokens":1500,"cache_creation":{"ephemeral_1h_input_tokens":1000,"ephemeral_5m_input_tokens":500},"cache_read_input_tokens":200,"output_tokens":500,"server_tool_use":{"web_search_requests":0},"api_key_id":"apikey_1","workspace_id":"wrkspc_1","model":"claude-sonnet-4-20250514","service_tier":"standard","context_window":"0-200k"}]}],
             "has_more":false,"next_page":null}
            """);
        var data = Path.Combine(_dir, "data");
        for (var round = 0; round < 2; round++)
        {
            var (exit, stdout, stderr) = await Run("import", "openai-usage", openai, costs, "--data", data);
            Assert.True(exit == 0, stderr);
            Assert.Contains(round == 0 ? "2 row(s) added" : "0 row(s) added", stdout);
            Assert.Contains(round == 0 ? "1 row(s) added" : "0 row(s) added", stdout.Split('\n')[2]);
            Assert.Contains("unknown model 'no-such-model'", stdout);
            Assert.Contains("openai-costs.jsonl:2", stdout);
            (exit, stdout, _) = await Run("import", "anthropic-usage", anthropic, "--data", data);
            Assert.Contains(round == 0 ? "1 row(s) added" : "0 row(s) added", stdout);
        }
        var (_, json, _) = await Run("ledger", "--data", data, "--format", "json");
        var rows = json.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(4, rows.Count);
        var claude = rows.Single(r => r.GetProperty("source").GetString() == "anthropic-export");
        // sonnet-4: 1500 x 3e-6 + 200 x 0.3e-6 + 500 x 3.75e-6 + 1000 x 6e-6 + 500 x 15e-6 = 0.019935
        Assert.Equal(19_935_000, claude.GetProperty("cost_nanos").GetInt64());
        Assert.Equal(1000, claude.GetProperty("cache_write_1h_tokens").GetInt64());
        var cost = rows.Single(r => r.GetProperty("route").GetString() == "import.openai-costs");
        Assert.Equal(420_000_000, cost.GetProperty("cost_nanos").GetInt64());
        var batch = rows.Single(r => r.GetProperty("service_tier").GetString() == "batch");
        Assert.Equal(1000, batch.GetProperty("uncached_input_tokens").GetInt64());
    }

    [Fact]
    public async Task ImportedRows_CarryThePersonsTeam_AndTheProjectOfTheirWorkingDirectory()
    {
        var withCwd = Assistant("msg_1", "req_1", "2026-01-09T10:00:00.000Z", 100, 50).Replace("\"version\":", "\"cwd\":\"/home/ada/src/payments-api\",\"version\":");
        Write("claude/projects/-home-ada-src-payments-api/s1.jsonl", withCwd, Assistant("msg_2", "req_2", "2026-01-09T10:01:00.000Z", 100, 50));
        var map = Write("teams.csv", "# who is where", "person,team", "bob,platform");
        var data = Path.Combine(_dir, "data");
        var (exit, _, stderr) = await Run("keys", "create", "--person", "ada", "--team", "payments", "--data", data);
        Assert.True(exit == 0, stderr);

        // 1. The people table wins over the flag.
        (exit, _, stderr) = await Run("import", "claude-code", Path.Combine(_dir, "claude"), "--person", "ada", "--team", "elsewhere", "--data", data);
        Assert.True(exit == 0, stderr);
        var rows = await Rows(data);
        Assert.All(rows, r => Assert.Equal("payments", r.GetProperty("team").GetString()));
        // The line with a cwd names the project after its folder; the line without keeps the log folder's name.
        Assert.Equal(["-home-ada-src-payments-api", "payments-api"], rows.Select(r => r.GetProperty("project").GetString()).Order());

        // 2. Not in the people table: the mapping file, else the flag.
        var anthropic = Write("anthropic-small.json", """
            {"data":[{"starting_at":"2026-01-01T00:00:00Z","ending_at":"2026-01-02T00:00:00Z","results":[
              {"uncached_input_tokens":10,"output_tokens":5,"model":"claude-sonnet-4-5","context_window":"0-200k"}]}],"has_more":false}
            """);
        (exit, _, stderr) = await Run("import", "anthropic-usage", anthropic, "--person", "bob", "--team-map", map, "--team", "fallback", "--data", data);
        Assert.True(exit == 0, stderr);
        Assert.Equal("platform", (await Rows(data)).Single(r => r.GetProperty("person").GetString() == "bob").GetProperty("team").GetString());
        // (Another workspace's export: the same bucket imported again would add nothing, whoever it is given to.)
        (exit, _, stderr) = await Run("import", "anthropic-usage", Write("anthropic-other.json", File.ReadAllText(anthropic).Replace("\"context_window\"", "\"workspace_id\":\"w2\",\"context_window\"")),
            "--person", "cy", "--team-map", map, "--team", "fallback", "--data", data);
        Assert.True(exit == 0, stderr);
        Assert.Equal("fallback", (await Rows(data)).Single(r => r.GetProperty("person").GetString() == "cy").GetProperty("team").GetString());

        // 3. A malformed map is a clear error, exit 2.
        var bad = Write("bad.csv", "bob");
        (exit, _, stderr) = await Run("import", "anthropic-usage", anthropic, "--person", "dee", "--team-map", bad, "--data", data);
        Assert.Equal(2, exit);
        Assert.Contains("expected 'person,team'", stderr);
    }

    [Fact]
    public async Task LedgerTable_KeepsItsColumnsInLine_WithLongModelNames()
    {
        var anthropic = Write("anthropic-long.json", """
            {"data":[{"starting_at":"2026-01-01T00:00:00Z","ending_at":"2026-01-02T00:00:00Z","results":[
              {"uncached_input_tokens":10,"output_tokens":5,"model":"claude-sonnet-4-5-20250929","context_window":"0-200k","workspace_id":"w1"},
              {"uncached_input_tokens":1000000,"output_tokens":5,"model":"claude-haiku-4-5","context_window":"0-200k","workspace_id":"w2"}]}],"has_more":false}
            """);
        var data = Path.Combine(_dir, "data");
        var (exit, _, stderr) = await Run("import", "anthropic-usage", anthropic, "--data", data);
        Assert.True(exit == 0, stderr);
        (exit, var table, stderr) = await Run("ledger", "--data", data);
        Assert.True(exit == 0, stderr);
        var lines = table.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var header = lines[0];
        var costEnd = header.IndexOf("COST USD", StringComparison.Ordinal) + "COST USD".Length;
        var modelStart = header.IndexOf("MODEL", StringComparison.Ordinal);
        var data_ = lines.Skip(1).Take(2).ToList();
        Assert.Contains(data_, l => l.Contains("claude-sonnet-4-5-20250929", StringComparison.Ordinal));
        foreach (var line in data_)
        {
            // Every model starts under MODEL and every cost ends under the end of COST USD.
            Assert.Equal(modelStart, line.IndexOf("claude-", StringComparison.Ordinal));
            Assert.Matches(@"^\d+\.\d{6}$", line[..costEnd].Split(' ', StringSplitOptions.RemoveEmptyEntries)[^1]);
            Assert.Equal(' ', line[costEnd]);
        }
    }

    private async Task<List<JsonElement>> Rows(string data)
    {
        var (_, json, _) = await Run("ledger", "--data", data, "--format", "json");
        return json.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
    }

    [Fact]
    public async Task AnthropicUsageBuckets_TakeTheLongContextTierPerRequest_NotFromTheDaysTotal()
    {
        // A day of sonnet-4-5 traffic: each request under 200k (the bucket says so), the day's sum far above it.
        var anthropic = Write("anthropic-days.json", """
            {"data":[{"starting_at":"2026-01-01T00:00:00Z","ending_at":"2026-01-02T00:00:00Z","results":[
              {"uncached_input_tokens":1000000,"cache_read_input_tokens":0,"output_tokens":150000,"model":"claude-sonnet-4-5","service_tier":"standard","context_window":"0-200k","workspace_id":"w1"},
              {"uncached_input_tokens":1000000,"cache_read_input_tokens":0,"output_tokens":150000,"model":"claude-sonnet-4-5","service_tier":"batch","context_window":"0-200k","workspace_id":"w1"},
              {"uncached_input_tokens":1000000,"cache_read_input_tokens":0,"output_tokens":150000,"model":"claude-sonnet-4-5","service_tier":"standard","context_window":"200k-1M","workspace_id":"w1"}]}],
             "has_more":false,"next_page":null}
            """);
        var data = Path.Combine(_dir, "data");
        var (exit, stdout, stderr) = await Run("import", "anthropic-usage", anthropic, "--data", data);
        Assert.True(exit == 0, stderr);
        Assert.Contains("3 row(s) added", stdout);
        var (_, json, _) = await Run("ledger", "--data", data, "--format", "json");
        var rows = json.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        long Cost(string tier, bool longContext) => rows.Single(r => r.GetProperty("service_tier").GetString() == tier
            && (r.GetProperty("cost_nanos").GetInt64() > 6_000_000_000) == longContext).GetProperty("cost_nanos").GetInt64();
        // Base: 1M x 3e-6 + 150k x 15e-6 = 5.25 (not 6 + 3.375 = 9.375 at the 200k tier's rates).
        Assert.Equal(5_250_000_000, Cost("standard", longContext: false));
        // Batch at 50 % of the base rates: 2.625.
        Assert.Equal(2_625_000_000, rows.Single(r => r.GetProperty("service_tier").GetString() == "batch").GetProperty("cost_nanos").GetInt64());
        // A bucket of requests above 200k each takes the tier's rates: 1M x 6e-6 + 150k x 22.5e-6 = 9.375.
        Assert.Equal(9_375_000_000, Cost("standard", longContext: true));
    }

    [Fact]
    public async Task Blocks_Json_HasWindowsAndNoActiveBlockForOldLogs()
    {
        Write("claude/projects/p/s.jsonl",
            Assistant("msg_1", "req_1", "2026-01-09T10:20:00.000Z", 100, 50),
            Assistant("msg_2", "req_2", "2026-01-09T16:00:00.000Z", 100, 50));
        var (exit, stdout, stderr) = await Run("report", "blocks", "--from", "claude-code", "--path", Path.Combine(_dir, "claude"), "--json");
        Assert.True(exit == 0, stderr);
        var blocks = JsonDocument.Parse(stdout).RootElement.GetProperty("blocks").EnumerateArray().ToList();
        // 5 h 40 min idle: a gap block from the end of the first window's activity (10:20 + 5 h) to the next request.
        Assert.Equal(["2026-01-09T10:00:00.000Z", "gap-2026-01-09T15:20:00.000Z", "2026-01-09T16:00:00.000Z"], blocks.Select(b => b.GetProperty("id").GetString()));
        Assert.Equal([false, true, false], blocks.Select(b => b.GetProperty("isGap").GetBoolean()));
        Assert.All(blocks, b => Assert.False(b.GetProperty("isActive").GetBoolean()));
        Assert.Equal([150L, 0L, 150L], blocks.Select(b => b.GetProperty("totalTokens").GetInt64()));
        Assert.Equal("2026-01-09T15:00:00.000Z", blocks[0].GetProperty("endTime").GetString());
    }

    [Theory]
    [InlineData("import")]
    [InlineData("import", "claude-code")]
    [InlineData("import", "anthropic-usage")]
    [InlineData("report")]
    [InlineData("report", "blocks")]
    [InlineData("report", "weekly")]
    public async Task ImportAndReportHaveHelp(params string[] args)
    {
        var (exit, stdout, _) = await Run([.. args, "--help"]);
        Assert.Equal(0, exit);
        Assert.Contains("Usage:", stdout);
    }

    [Fact]
    public async Task NoLogsWhereAsked_OneLineError()
    {
        var (exit, _, stderr) = await Run("report", "daily", "--from", "claude-code", "--path", Path.Combine(_dir, "nothing-here"));
        Assert.Equal(1, exit);
        Assert.Contains("no claude-code logs found", stderr);
        (exit, _, stderr) = await Run("import", "codex", Path.Combine(_dir, "nothing-here"), "--data", Path.Combine(_dir, "data"));
        Assert.Equal(1, exit);
        Assert.Contains("no codex logs found", stderr);
    }

    [Theory]
    [InlineData("report", "daily", "--since", "yesterday")]
    [InlineData("report", "daily", "--timezone", "Mars/Olympus")]
    [InlineData("report", "daily", "--mode", "guess")]
    [InlineData("report", "weekly", "--from", "cursor")]
    public async Task BadReportOptions_OneLineError(params string[] args)
    {
        var (exit, _, stderr) = await Run([.. args, "--data", Path.Combine(_dir, "data")]);
        Assert.Equal(2, exit);
        Assert.Single(stderr.Trim().Split('\n'));
    }
}
