using System.Net;
using System.Text;
using System.Text.Json;
using TokenOps.Core.Ledger;
using TokenOps.Gateway.Configuration;
using TokenOps.Gateway.Tests.Budgets;
using TokenOps.Gateway.Tests.Infrastructure;
using TokenOps.Simulator;

namespace TokenOps.Gateway.Tests.Pipeline;

/// <summary>
/// Hostile bodies that once let usage escape the ledger or a budget: undecodable prompts at settlement, repeated
/// fields the gateway and the provider read differently, and multipliers the reservation did not see.
/// </summary>
public sealed class LedgerEscapeTests
{
    private const string LoneSurrogatePrompt = "Explain budgets \\ud800 in two sentences.";

    private static HttpRequestMessage Post(string path, string json, string? fault = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new ByteArrayContent(Encoding.UTF8.GetBytes(json)) };
        request.Content.Headers.ContentType = new("application/json");
        if (fault is not null) request.Headers.Add("x-sim-fault", fault);
        return request;
    }

    private static async Task<string> ErrorCodeAsync(HttpResponseMessage response)
    {
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return doc.RootElement.GetProperty("error").GetProperty("code").GetString()!;
    }

    [Fact]
    public async Task LoneSurrogatePrompt_ClientAbortsStream_LeavesOneEstimatedRow_AndBooksTheBudget()
    {
        await using var gateway = await GatewayFixture.StartAsync(o => o.Budgets.People["ada"] = new BudgetOptions { LimitUsd = 100m, Period = "daily" },
            new SimulatorOptions { InterChunkDelayMs = 30 });
        using var http = gateway.Client(gateway.CreateKey());
        using (var cts = new CancellationTokenSource())
        {
            using var response = await http.SendAsync(Post("/v1/chat/completions",
                $$"""{"model":"gpt-4o-mini","stream":true,"max_tokens":400,"messages":[{"role":"user","content":"{{LoneSurrogatePrompt}}"}]}"""),
                HttpCompletionOption.ResponseHeadersRead, cts.Token);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            await using var stream = await response.Content.ReadAsStreamAsync(cts.Token);
            Assert.True(await stream.ReadAsync(new byte[256], cts.Token) > 0);
            await Task.Delay(150);
            cts.Cancel();
        }
        var row = Assert.Single(await gateway.LedgerAsync(1));
        Assert.Equal(LedgerOutcome.ClientAborted, row.Outcome);
        Assert.True(row.Estimated);
        Assert.True(row.Usage.UncachedInput > 0, "the undecodable prompt is still estimated");
        Assert.True(row.CostNanos > 0);
        var budget = Assert.Single(await gateway.SettledSnapshotsAsync());
        Assert.Equal(row.CostNanos, TokenOps.Core.Pricing.NanoUsd.FromUsd(budget.Spent));
    }

    [Theory]
    [InlineData("/v1/chat/completions", """{"model":"gpt-4o-mini","max_tokens":64,"messages":[{"role":"user","content":"PROMPT"}]}""")]
    [InlineData("/v1/responses", """{"model":"gpt-4o-mini","max_output_tokens":64,"input":"PROMPT"}""")]
    [InlineData("/v1/embeddings", """{"model":"text-embedding-3-small","input":["PROMPT"]}""")]
    [InlineData("/v1/messages", """{"model":"claude-haiku-4-5","max_tokens":64,"messages":[{"role":"user","content":"PROMPT"}]}""")]
    public async Task LoneSurrogatePrompt_ProviderSendsNoUsage_NearALimit_IsServedAndRecorded(string path, string template)
    {
        // Near the limit the admit stage tokenizes the prompt (the path that threw), and settling estimates it again.
        await using var gateway = await GatewayFixture.StartAsync(o => o.Budgets.People["ada"] = new BudgetOptions { LimitUsd = 0.0005m, Period = "daily" });
        using var http = gateway.Client(gateway.CreateKey());
        var request = Post(path, template.Replace("PROMPT", LoneSurrogatePrompt), "nousage");
        if (path == "/v1/messages") request.Headers.Add("anthropic-version", "2023-06-01");
        using var response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var row = Assert.Single(await gateway.LedgerAsync(1));
        Assert.Equal(LedgerOutcome.Ok, row.Outcome);
        Assert.True(row.Estimated);
        Assert.True(row.Usage.UncachedInput > 0);
        var budget = Assert.Single(await gateway.SettledSnapshotsAsync());
        Assert.Equal(row.CostNanos, TokenOps.Core.Pricing.NanoUsd.FromUsd(budget.Spent));
    }

    [Fact]
    public async Task RawInvalidUtf8_AnywhereInTheBody_Is400_InTheProtocolShape_WithARow()
    {
        await using var gateway = await GatewayFixture.StartAsync();
        using var http = gateway.Client(gateway.CreateKey());
        foreach (var (before, after) in new[] { ("{\"model\":\"gpt-4o-", "mini\",\"messages\":[]}"), ("{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"", "\"}]}") })
        {
            var body = Encoding.UTF8.GetBytes(before).Concat(new byte[] { 0xff, 0xfe, 0xc3 }).Concat(Encoding.UTF8.GetBytes(after)).ToArray();
            using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = new ByteArrayContent(body) };
            request.Content.Headers.ContentType = new("application/json");
            using var response = await http.SendAsync(request);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Equal("invalid_encoding", await ErrorCodeAsync(response));
        }
        Assert.Equal(2, (await gateway.LedgerAsync(2)).Count(r => r.Outcome == LedgerOutcome.Refused));
        Assert.Empty(gateway.Bill.Entries);
    }

    [Fact]
    public async Task LoneSurrogateInModel_Is400_NotA500()
    {
        await using var gateway = await GatewayFixture.StartAsync();
        using var http = gateway.Client(gateway.CreateKey());
        using var response = await http.SendAsync(Post("/v1/chat/completions", """{"model":"gpt-4o-\ud800","messages":[]}"""));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("invalid_value", await ErrorCodeAsync(response));
    }

    public static TheoryData<string, string> RepeatedFields => new()
    {
        { "/v1/chat/completions", """{"model":"gpt-4o-mini","stream":true,"stream_options":{"include_usage":true},"messages":[],"stream\u005foptions":{"include_usage":false}}""" },
        { "/v1/chat/completions", """{"model":"gpt-4o-mini","max_tokens":16,"messages":[],"max_tokens":4000}""" },
        { "/v1/chat/completions", """{"model":"gpt-4o-mini","messages":[],"m\u006fdel":"gpt-4o"}""" },
        { "/v1/chat/completions", """{"model":"gpt-4o-mini","stream":false,"messages":[],"stream":true}""" },
        { "/v1/chat/completions", """{"model":"gpt-4o-mini","n":1,"messages":[],"n":128}""" },
        { "/v1/chat/completions", """{"model":"gpt-4o-mini","stream":true,"stream_options":{"include_usage":true,"include\u005fusage":false},"messages":[]}""" },
        { "/v1/responses", """{"model":"gpt-4o-mini","input":"hi","max_output_tokens":16,"max_output_tokens":9000}""" },
        { "/v1/messages", """{"model":"claude-haiku-4-5","max_tokens":16,"messages":[],"max_tokens":9000}""" },
    };

    [Theory]
    [MemberData(nameof(RepeatedFields))]
    public async Task RepeatedField_InAnyEscaping_Is400_AndNothingIsForwarded(string path, string json)
    {
        await using var gateway = await GatewayFixture.StartAsync();
        using var http = gateway.Client(gateway.CreateKey());
        var request = Post(path, json);
        if (path == "/v1/messages") request.Headers.Add("anthropic-version", "2023-06-01");
        using var response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync();
        Assert.Contains("duplicate_field", body);
        if (path == "/v1/messages") Assert.Contains("\"type\":\"error\"", body);
        Assert.Empty(gateway.Bill.Entries);
        Assert.Equal(LedgerOutcome.Refused, Assert.Single(await gateway.LedgerAsync(1)).Outcome);
    }

    [Fact]
    public async Task EscapedStreamOptions_TurningUsageOff_IsOverriddenAndTheStreamIsMetered()
    {
        await using var gateway = await GatewayFixture.StartAsync();
        using var http = gateway.Client(gateway.CreateKey());
        using var response = await http.SendAsync(Post("/v1/chat/completions",
            """{"model":"gpt-4o-mini","stream":true,"stream\u005foptions":{"include_usage":false},"messages":[{"role":"user","content":"hi"}]}"""));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var sse = await response.Content.ReadAsStringAsync();
        Assert.DoesNotContain("\"choices\":[],", sse); // the client did not ask for the usage chunk, so it does not see it
        var row = Assert.Single(await gateway.LedgerAsync(1));
        Assert.False(row.Estimated, "the provider's usage reached the gateway");
        Assert.Equal(gateway.BilledNanos(gateway.Bill.Entries), row.CostNanos);
    }

    [Fact]
    public async Task ChoicesMultiplyTheReservation_NIsRefusedWhereOneChoiceFits()
    {
        // Room for one 1,000-token answer of gpt-4o-mini ($0.0006), not for 128 of them.
        await using var gateway = await GatewayFixture.StartAsync(o => o.Budgets.People["ada"] = new BudgetOptions { LimitUsd = 0.01m, Period = "daily" });
        using var http = gateway.Client(gateway.CreateKey());
        const string template = """{"model":"gpt-4o-mini","max_tokens":1000,N"messages":[{"role":"user","content":"hi"}]}""";
        using (var one = await http.SendAsync(Post("/v1/chat/completions", template.Replace("N", "\"n\":1,"))))
            Assert.Equal(HttpStatusCode.OK, one.StatusCode);
        using (var many = await http.SendAsync(Post("/v1/chat/completions", template.Replace("N", "\"n\":128,"))))
        {
            Assert.Equal(HttpStatusCode.PaymentRequired, many.StatusCode);
            Assert.Equal("budget_exceeded", await ErrorCodeAsync(many));
        }
        Assert.Single(gateway.Bill.Entries);
    }

    [Fact]
    public async Task NWithoutMaxTokens_ClampsEachChoice_SoTheirSumFits()
    {
        await using var gateway = await GatewayFixture.StartAsync(o =>
        {
            o.Budgets.ClampMaxTokens = true;
            o.Budgets.People["ada"] = new BudgetOptions { LimitUsd = 0.01m, Period = "daily" };
        });
        using var http = gateway.Client(gateway.CreateKey());
        using var response = await http.SendAsync(Post("/v1/chat/completions",
            """{"model":"gpt-4o-mini","n":8,"max_completion_tokens":16000,"max_tokens":16000,"messages":[{"role":"user","content":"hi"}]}"""));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var row = Assert.Single(await gateway.LedgerAsync(1));
        Assert.StartsWith("clamped:max_completion_tokens=", row.BudgetAction);
        var perChoice = long.Parse(row.BudgetAction!.Split('=')[1]);
        // 0.6 USD per million output tokens: eight choices of the clamped size must fit in the cent.
        Assert.InRange(perChoice * 8 * 0.6m / 1_000_000m, 0.0001m, 0.01m);
    }

    [Fact]
    public async Task EmbeddingTokenIds_CountAsTokens_InTheReservation()
    {
        // 20,000 token ids cost $0.0004 with text-embedding-3-small; the budget holds $0.0001.
        await using var gateway = await GatewayFixture.StartAsync(o => o.Budgets.People["ada"] = new BudgetOptions { LimitUsd = 0.0001m, Period = "daily" });
        using var http = gateway.Client(gateway.CreateKey());
        var ids = string.Join(',', Enumerable.Range(0, 20_000).Select(i => i % 1000));
        using var response = await http.SendAsync(Post("/v1/embeddings", $$"""{"model":"text-embedding-3-small","input":[[{{ids}}]]}"""));
        Assert.Equal(HttpStatusCode.PaymentRequired, response.StatusCode);
        Assert.Empty(gateway.Bill.Entries);
    }

    [Theory]
    [InlineData("/v1/chat/completions", """{"model":"gpt-4o-mini","max_tokens":16,"messages":[{"role":"user","content":[{"type":"text","text":"what is this"},{"type":"image\u005furl","image_url":{"url":"https://example.invalid/a.png"}}]}]}""")]
    [InlineData("/v1/responses", """{"model":"gpt-4o-mini","max_output_tokens":16,"previous_response_id":"resp_123","input":"and then?"}""")]
    [InlineData("/v1/responses", """{"model":"gpt-4o-mini","max_output_tokens":16,"tools":[{"type":"web_search"}],"input":"news?"}""")]
    [InlineData("/v1/messages", """{"model":"claude-haiku-4-5","max_tokens":16,"messages":[{"role":"user","content":[{"type":"document","source":{"type":"url","url":"https://example.invalid/a.pdf"}}]}]}""")]
    [InlineData("/v1/messages", """{"model":"claude-haiku-4-5","max_tokens":16,"messages":[{"role":"user","content":[{"type":"tool_result","tool_use_id":"t1","content":[{"type":"document","source":{"type":"url","url":"https://example.invalid/a.pdf"}}]}]}]}""")]
    public async Task InputTheBodyDoesNotHold_IsReservedAtTheContextWindow(string path, string json)
    {
        // $0.002 covers the short text many times over, not a context window of input.
        await using var gateway = await GatewayFixture.StartAsync(o => o.Budgets.People["ada"] = new BudgetOptions { LimitUsd = 0.002m, Period = "daily" });
        using var http = gateway.Client(gateway.CreateKey());
        var request = Post(path, json);
        if (path == "/v1/messages") request.Headers.Add("anthropic-version", "2023-06-01");
        using var response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.PaymentRequired, response.StatusCode);
        var text = Post(path, json.Replace("image\\u005furl", "text").Replace("\"previous_response_id\":\"resp_123\",", "")
            .Replace("\"tools\":[{\"type\":\"web_search\"}],", "").Replace("\"type\":\"document\",\"source\":{\"type\":\"url\",\"url\":\"https://example.invalid/a.pdf\"}", "\"type\":\"text\",\"text\":\"hi\""));
        if (path == "/v1/messages") text.Headers.Add("anthropic-version", "2023-06-01");
        using var plain = await http.SendAsync(text);
        Assert.NotEqual(HttpStatusCode.PaymentRequired, plain.StatusCode);
    }

    [Fact]
    public async Task AStreamOutlivingItsReservationTtl_KeepsItsHold()
    {
        // A 0.6 s TTL and a stream of about 3 s: the sweeper (every second) must not free the hold of a live request.
        await using var gateway = await GatewayFixture.StartAsync(o =>
        {
            o.Budgets.ReservationTtlMinutes = 0.01;
            o.Budgets.People["ada"] = new BudgetOptions { LimitUsd = 100m, Period = "daily" };
        }, new SimulatorOptions { InterChunkDelayMs = 60 });
        using var http = gateway.Client(gateway.CreateKey());
        var engine = gateway.Engine();
        using var response = await http.SendAsync(Post("/v1/chat/completions",
            """{"model":"gpt-4o-mini","stream":true,"max_tokens":60,"messages":[{"role":"user","content":"Write a long story about budgets."}]}"""),
            HttpCompletionOption.ResponseHeadersRead);
        await using var stream = await response.Content.ReadAsStreamAsync();
        var buffer = new byte[4096];
        Assert.True(await stream.ReadAsync(buffer) > 0);
        await Task.Delay(TimeSpan.FromSeconds(2.2));
        Assert.Equal(1, engine.Book.OpenReservations);
        Assert.True(engine.Current().Single().Reserved > 0, "the live stream still holds its worst case");
        while (await stream.ReadAsync(buffer) > 0) { }
        var row = Assert.Single(await gateway.LedgerAsync(1));
        var budget = Assert.Single(await gateway.SettledSnapshotsAsync());
        Assert.Equal(0m, budget.Reserved);
        Assert.Equal(row.CostNanos, TokenOps.Core.Pricing.NanoUsd.FromUsd(budget.Spent));
    }
}
