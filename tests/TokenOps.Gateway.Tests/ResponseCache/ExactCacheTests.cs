using System.ClientModel;
using System.Text.Json;
using OpenAI.Chat;
using TokenOps.Core.Ledger;
using TokenOps.Core.Savings;
using TokenOps.Gateway.Configuration;
using TokenOps.Gateway.Tests.Infrastructure;
using static TokenOps.Gateway.Tests.ResponseCache.CacheHttp;

namespace TokenOps.Gateway.Tests.ResponseCache;

/// <summary>
/// The exact response cache end to end: a real gateway, the simulated provider and the official OpenAI SDK. A repeated
/// request is answered by the cache (header hit, simulator not called, ledger row at cost 0 naming its source and saving
/// exactly what the source cost); what may not be cached, what the client skips and what another tenant asked are not.
/// </summary>
public sealed class ExactCacheTests : IAsyncLifetime
{
    private readonly SharedGateway _shared = new();
    private GatewayFixture Gateway => _shared.Gateway;

    public Task InitializeAsync() => _shared.InitializeAsync(o =>
    {
        o.Cache.Exact = new ExactCacheOptions { Enabled = true };
        o.Cache.Teams["private"] = new ResponseCacheLevelOptions { Exact = new ExactCacheOptions { Scope = CacheScopes.Person } };
        o.Cache.Teams["open"] = new ResponseCacheLevelOptions { Exact = new ExactCacheOptions { Scope = CacheScopes.Org } };
        o.Cache.Teams["tools"] = new ResponseCacheLevelOptions { Exact = new ExactCacheOptions { CacheToolResults = true } };
        o.Cache.Teams["off"] = new ResponseCacheLevelOptions { Exact = new ExactCacheOptions { Enabled = false } };
    });

    public Task DisposeAsync() => _shared.DisposeAsync();

    private static string? CacheHeader(ClientResult result) =>
        result.GetRawResponse().Headers.TryGetValue("X-TokenOps-Cache", out var value) ? value : null;

    [Fact]
    public async Task A_repeated_request_is_a_hit_with_a_free_ledger_row_that_saves_what_the_first_cost()
    {
        var key = Gateway.CreateKey("ada", "payments");
        var chat = _shared.Chat("gpt-4o-mini", key);
        var first = await chat.CompleteChatAsync([new UserChatMessage("Explain idempotency keys.")]);
        var billed = Gateway.Bill.Entries.Count;
        var second = await chat.CompleteChatAsync([new UserChatMessage("Explain idempotency keys.")]);

        Assert.Equal("miss", CacheHeader(first));
        Assert.Equal("hit", CacheHeader(second));
        Assert.Equal(billed, Gateway.Bill.Entries.Count);
        Assert.Equal(first.Value.Content[0].Text, second.Value.Content[0].Text);
        Assert.Equal(first.Value.Usage.TotalTokenCount, second.Value.Usage.TotalTokenCount);

        var rows = (await Gateway.LedgerAsync()).Where(r => r.Person == "ada").OrderBy(r => r.StartedAt).ToList();
        Assert.Equal(2, rows.Count);
        var (source, hit) = (rows[0], rows[1]);
        Assert.True(source.CostNanos > 0);
        Assert.Null(source.CacheHit);
        Assert.Equal(("exact", source.Id, 0L), (hit.CacheHit, hit.CacheSourceId, hit.CostNanos));
        Assert.Equal(0, hit.Usage.Total);
        Assert.Equal(source.CostNanos, hit.Savings.NanosOf(SavingsLevers.CacheHit));
        Assert.Equal(SavingsLevers.CacheHit, hit.Levers);
        Assert.Equal((LedgerOutcome.Ok, 200, "gpt-4o-mini"), (hit.Outcome, hit.Status, hit.ServedModel));
    }

    [Fact]
    public async Task Key_order_whitespace_user_and_metadata_do_not_change_the_key_but_the_prompt_and_max_tokens_do()
    {
        var key = Gateway.CreateKey("ben", "payments");
        Assert.Equal("miss", (await ChatAsync(Gateway, key, """{"model":"gpt-4o-mini","max_tokens":50,"messages":[{"role":"user","content":"order"}]}""")).Cache);
        Assert.Equal("hit", (await ChatAsync(Gateway, key, """{ "messages":[{"content":"order","role":"user"}], "user":"u-1", "metadata":{"a":"b"}, "max_tokens":50, "model":"gpt-4o-mini" }""")).Cache);
        Assert.Equal("miss", (await ChatAsync(Gateway, key, """{"model":"gpt-4o-mini","max_tokens":51,"messages":[{"role":"user","content":"order"}]}""")).Cache);
        Assert.Equal("miss", (await ChatAsync(Gateway, key, """{"model":"gpt-4o-mini","max_tokens":50,"messages":[{"role":"user","content":"order!"}]}""")).Cache);
    }

    [Fact]
    public async Task Temperature_above_zero_is_not_cached_unless_a_seed_is_given()
    {
        var key = Gateway.CreateKey("cat", "payments");
        var warm = Chat("Write a limerick.", "\"temperature\":0.7");
        Assert.Equal("miss", (await ChatAsync(Gateway, key, warm)).Cache);
        var billed = Gateway.Bill.Entries.Count;
        Assert.Equal("miss", (await ChatAsync(Gateway, key, warm)).Cache);
        Assert.Equal(billed + 1, Gateway.Bill.Entries.Count);

        var seeded = Chat("Write a limerick.", "\"temperature\":0.7,\"seed\":42");
        Assert.Equal("miss", (await ChatAsync(Gateway, key, seeded)).Cache);
        Assert.Equal("hit", (await ChatAsync(Gateway, key, seeded)).Cache);
        var zero = Chat("Write a limerick.", "\"temperature\":0");
        Assert.Equal("miss", (await ChatAsync(Gateway, key, zero)).Cache);
        Assert.Equal("hit", (await ChatAsync(Gateway, key, zero)).Cache);
    }

    private const string ToolLoop = """
        {"model":"gpt-4o-mini","messages":[
          {"role":"user","content":"What is in config.json?"},
          {"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"read","arguments":"{\"path\":\"config.json\"}"}}]},
          {"role":"tool","tool_call_id":"call_1","content":"{\"port\":8080}"}],
         "tools":[{"type":"function","function":{"name":"read","parameters":{"type":"object","properties":{"path":{"type":"string"}}}}}]}
        """;

    [Fact]
    public async Task A_request_ending_in_a_tool_result_is_not_cached_unless_the_team_enables_it()
    {
        var key = Gateway.CreateKey("dan", "payments");
        Assert.Equal(200, (await ChatAsync(Gateway, key, ToolLoop)).Status);
        var billed = Gateway.Bill.Entries.Count;
        Assert.Equal("miss", (await ChatAsync(Gateway, key, ToolLoop)).Cache);
        Assert.Equal(billed + 1, Gateway.Bill.Entries.Count);

        var tools = Gateway.CreateKey("eve", "tools");
        Assert.Equal("miss", (await ChatAsync(Gateway, tools, ToolLoop)).Cache);
        Assert.Equal("hit", (await ChatAsync(Gateway, tools, ToolLoop)).Cache);
    }

    [Fact]
    public async Task Bypass_and_no_cache_skip_the_cache_refresh_stores_anew_and_a_bad_directive_is_refused()
    {
        var key = Gateway.CreateKey("fay", "payments");
        var body = Chat("What is a ledger?");
        var first = await ChatAsync(Gateway, key, body);
        Assert.Equal("miss", first.Cache);
        var billed = Gateway.Bill.Entries.Count;

        Assert.Equal("bypass", (await ChatAsync(Gateway, key, body, ("X-TokenOps-Cache", "bypass"))).Cache);
        Assert.Equal("bypass", (await ChatAsync(Gateway, key, body, ("Cache-Control", "no-cache"))).Cache);
        Assert.Equal(billed + 2, Gateway.Bill.Entries.Count);

        var refreshed = await ChatAsync(Gateway, key, body, ("X-TokenOps-Cache", "refresh"));
        Assert.Equal("miss", refreshed.Cache);
        Assert.Equal(billed + 3, Gateway.Bill.Entries.Count);
        var hit = await ChatAsync(Gateway, key, body);
        Assert.Equal("hit", hit.Cache);
        var rows = await Gateway.LedgerAsync();
        Assert.Equal(refreshed.RequestId, rows.Single(r => r.Id == hit.RequestId).CacheSourceId);

        var bad = await ChatAsync(Gateway, key, body, ("X-TokenOps-Cache", "sometimes"));
        Assert.Equal(400, bad.Status);
        var error = JsonDocument.Parse(bad.Body).RootElement.GetProperty("error");
        Assert.Equal("invalid_cache_directive", error.GetProperty("code").GetString());
        Assert.Equal(billed + 3, Gateway.Bill.Entries.Count);
    }

    [Fact]
    public async Task Scopes_team_by_default_person_and_org_when_configured_and_off_for_a_team_that_turns_it_off()
    {
        var body = Chat("Summarise our refund policy.");
        Assert.Equal("miss", (await ChatAsync(Gateway, Gateway.CreateKey("gil", "payments"), body)).Cache);
        Assert.Equal("hit", (await ChatAsync(Gateway, Gateway.CreateKey("hal", "payments"), body)).Cache);
        Assert.Equal("miss", (await ChatAsync(Gateway, Gateway.CreateKey("ivy", "growth"), body)).Cache);

        Assert.Equal("miss", (await ChatAsync(Gateway, Gateway.CreateKey("jon", "private"), body)).Cache);
        var kim = Gateway.CreateKey("kim", "private");
        Assert.Equal("miss", (await ChatAsync(Gateway, kim, body)).Cache);
        Assert.Equal("hit", (await ChatAsync(Gateway, kim, body)).Cache);

        Assert.Equal("miss", (await ChatAsync(Gateway, Gateway.CreateKey("lea", "open"), body)).Cache);

        var off = Gateway.CreateKey("max", "off");
        Assert.Null((await ChatAsync(Gateway, off, body)).Cache);
        Assert.Null((await ChatAsync(Gateway, off, body)).Cache);
    }

    /// <summary>
    /// Property: random requests (a few prompts and models) from random people of random teams. Every hit's source row is
    /// a row of the same team that asked the same thing; every first request of a (team, prompt, model) is a miss.
    /// </summary>
    [Fact]
    public async Task Random_requests_across_tenants_are_never_answered_across_teams()
    {
        var random = new Random(1234);
        var people = new[] { ("p1", "t1"), ("p2", "t1"), ("p3", "t2"), ("p4", "t2"), ("p5", "t3") };
        var keys = people.ToDictionary(p => p.Item1, p => Gateway.CreateKey(p.Item1, p.Item2));
        var prompts = new[] { "alpha", "beta", "gamma" };
        var models = new[] { "gpt-4o-mini", "gpt-4.1-mini" };
        var asked = new Dictionary<string, (string Team, string What)>();
        var seen = new HashSet<(string, string)>();
        for (var i = 0; i < 40; i++)
        {
            var (person, team) = people[random.Next(people.Length)];
            var what = prompts[random.Next(prompts.Length)] + "|" + models[random.Next(models.Length)];
            var parts = what.Split('|');
            var answer = await ChatAsync(Gateway, keys[person], Chat("tenant question " + parts[0], model: parts[1]));
            Assert.Equal(200, answer.Status);
            asked[answer.RequestId!] = (team, what);
            Assert.Equal(seen.Add((team, what)) ? "miss" : "hit", answer.Cache);
        }
        var rows = (await Gateway.LedgerAsync()).Where(r => asked.ContainsKey(r.Id)).ToList();
        foreach (var hit in rows.Where(r => r.CacheHit is not null))
        {
            Assert.Equal(asked[hit.Id], asked[hit.CacheSourceId!]);
            Assert.Null(rows.Single(r => r.Id == hit.CacheSourceId).CacheHit);
        }
    }

    [Fact]
    public async Task A_hit_is_counted_in_metrics_by_team_and_shows_its_saving()
    {
        var key = Gateway.CreateKey("ned", "metrics");
        var body = Chat("Metrics question.");
        await ChatAsync(Gateway, key, body);
        await ChatAsync(Gateway, key, body);
        var rows = (await Gateway.LedgerAsync()).Where(r => r.Team == "metrics").ToList();
        var saved = rows.Sum(r => r.Savings.NanosOf(SavingsLevers.CacheHit));
        Assert.True(saved > 0);
        using var http = Gateway.Client();
        var samples = Telemetry.PrometheusSample.Parse(await http.GetStringAsync("/metrics"));
        double Lookups(string result) => samples.Where(s => s.Name == "tokenops_response_cache_lookups_total" && s["tokenops_cache_result"] == result && s["tokenops_team"] == "metrics").Sum(s => s.Value);
        Assert.Equal((1, 1), (Lookups("hit"), Lookups("miss")));
        Assert.Equal(saved, samples.Where(s => s.Name == "tokenops_savings_nanodollars_total" && s["tokenops_savings_lever"] == "cache-hit" && s["tokenops_team"] == "metrics").Sum(s => s.Value));
    }
}
