using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using TokenOps.Core.Pricing;
using TokenOps.Core.Savings;
using TokenOps.Gateway.Configuration;
using TokenOps.Gateway.Routing;
using TokenOps.Gateway.Tests.Infrastructure;
using TokenOps.Routing;

namespace TokenOps.Gateway.Tests.Routing;

/// <summary>model: "auto" through real HTTP, the simulated provider and the shipped scorer.</summary>
public class RouterTests
{
    private const string Easy = "hi";
    private const string Hard =
        "Prove that for every integer n >= 1 the sum of the first n odd numbers equals n^2, then derive a closed form for " +
        "sum_{k=1}^{n} k^3, and write a Python function that checks both identities for n up to 10^6 in O(n) time. Explain each step.";

    private static readonly StrongScorer Scorer = StrongScorer.LoadDefault();

    private static double ScoreOf(string text) => Scorer.Score(new RoutePrompt(null, [new RouteTurn("user", text)], 0, null)).StrongScore;

    /// <summary>A threshold between the scorer's own scores of the easy and the hard prompt: the test does not depend on the weights.</summary>
    private static double Midpoint()
    {
        var (easy, hard) = (ScoreOf(Easy), ScoreOf(Hard));
        Assert.True(hard > easy, $"the scorer should rate the multi-step maths and code prompt ({hard}) above \"hi\" ({easy})");
        return (easy + hard) / 2;
    }

    private static Action<GatewayOptions> Router(double? threshold = null, double? share = null, bool pin = true, string name = "auto",
        List<string>? openai = null, List<string>? anthropic = null) => o => o.Routing.Routers[name] = new RouterOptions
    {
        Openai = openai ?? ["gpt-4o-mini", "gpt-4o"],
        Anthropic = anthropic ?? ["claude-haiku-4-5", "claude-sonnet-4-5"],
        Threshold = threshold,
        StrongShare = share,
        PinSessions = pin,
    };

    private static HttpRequestMessage Chat(string text, string model = "auto", string? session = null, string extra = "")
    {
        var body = JsonSerializer.Serialize(new { model, messages = new[] { new { role = "user", content = text } }, max_tokens = 64 });
        if (extra.Length > 0) body = body[..^1] + "," + extra + "}";
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        if (session is not null) request.Headers.Add("x-claude-code-session-id", session);
        return request;
    }

    private static HttpRequestMessage Messages(string text, string model = "auto", string? session = null)
    {
        var body = JsonSerializer.Serialize(new { model, max_tokens = 64, messages = new[] { new { role = "user", content = text } } });
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/messages") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Add("anthropic-version", "2023-06-01");
        if (session is not null) request.Headers.Add("x-claude-code-session-id", session);
        return request;
    }

    private static string Header(HttpResponseMessage response, string name) => response.Headers.GetValues(name).Single();

    [Fact]
    public async Task Easy_goes_to_the_cheap_candidate_and_hard_to_the_strong_one_with_headers_and_a_priced_saving()
    {
        await using var gateway = await GatewayFixture.StartAsync(Router(threshold: Midpoint()));
        using var http = gateway.Client(gateway.CreateKey());

        using var easy = await http.SendAsync(Chat(Easy));
        using var hard = await http.SendAsync(Chat(Hard));

        Assert.Equal(HttpStatusCode.OK, easy.StatusCode);
        Assert.Equal(HttpStatusCode.OK, hard.StatusCode);
        Assert.Equal("gpt-4o-mini", Header(easy, RouterStage.RoutedModelHeader));
        Assert.Equal("gpt-4o", Header(hard, RouterStage.RoutedModelHeader));
        Assert.Equal(ScoreOf(Easy).ToString("0.0000", System.Globalization.CultureInfo.InvariantCulture), Header(easy, RouterStage.ScoreHeader));
        // The provider saw the routed model, never "auto".
        Assert.Equal(new[] { "gpt-4o-mini", "gpt-4o" }, gateway.Bill.Entries.Select(e => e.Model).ToArray());

        var rows = (await gateway.LedgerAsync(2)).OrderBy(r => r.StartedAt).ToList();
        Assert.All(rows, r => Assert.Equal("auto", r.RequestedModel));
        Assert.Equal(new[] { "gpt-4o-mini", "gpt-4o" }, rows.Select(r => r.ServedModel ?? "").ToArray());
        Assert.Equal(ScoreOf(Easy), rows[0].RouteScore!.Value, 6);
        // Savings are priced against the router's baseline (its strongest candidate): the same tokens at gpt-4o's prices.
        Assert.True(BundledCatalog.Load().TryGet("gpt-4o", out var gpt4o));
        Assert.Equal("routed", rows[0].Levers);
        Assert.Equal(NanoUsd.FromUsd(CostCalculator.Compute(gpt4o, rows[0].Usage).Total - rows[0].Cost.Total), rows[0].Savings.NanosOf(SavingsLevers.Routed));
        Assert.True(rows[0].Savings.Routed > 0);
        Assert.Equal(0L, rows[1].Savings.TotalNanos);
        Assert.Equal(rows[1].CostNanos, rows[1].AsAskedNanos);
    }

    [Fact]
    public async Task The_routers_are_listed_as_models_a_client_can_pick()
    {
        await using var gateway = await GatewayFixture.StartAsync(o =>
        {
            Router(threshold: 0.5)(o);
            Router(threshold: 0.5, name: "cheap", anthropic: [])(o);
        });
        using var http = gateway.Client(gateway.CreateKey());
        using var openai = JsonDocument.Parse(await http.GetStringAsync("/v1/models"));
        var ids = openai.RootElement.GetProperty("data").EnumerateArray().Select(m => m.GetProperty("id").GetString()).ToList();
        Assert.Contains("auto", ids);
        Assert.Contains("auto:cheap", ids);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/models");
        request.Headers.Add("anthropic-version", "2023-06-01");
        using var response = await http.SendAsync(request);
        using var anthropic = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var anthropicIds = anthropic.RootElement.GetProperty("data").EnumerateArray().Select(m => m.GetProperty("id").GetString()).ToList();
        Assert.Contains("auto", anthropicIds);
        Assert.DoesNotContain("auto:cheap", anthropicIds); // no Anthropic candidates
    }

    [Fact]
    public async Task A_request_naming_its_model_is_not_routed()
    {
        await using var gateway = await GatewayFixture.StartAsync(Router(threshold: 0));
        using var http = gateway.Client(gateway.CreateKey());
        using var response = await http.SendAsync(Chat(Hard, model: "gpt-4o-mini"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.False(response.Headers.Contains(RouterStage.RoutedModelHeader));
        var row = Assert.Single(await gateway.LedgerAsync(1));
        Assert.Null(row.RouteScore);
        Assert.Null(row.Levers);
    }

    [Fact]
    public async Task Anthropic_requests_route_among_anthropic_candidates_streamed_too()
    {
        await using var gateway = await GatewayFixture.StartAsync(Router(threshold: 1.0));
        using var http = gateway.Client(gateway.CreateKey());
        var request = Messages(Easy);
        var body = JsonSerializer.Serialize(new { model = "auto", max_tokens = 64, stream = true, messages = new[] { new { role = "user", content = Easy } } });
        request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        using var response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("claude-haiku-4-5", Header(response, RouterStage.RoutedModelHeader));
        var text = await response.Content.ReadAsStringAsync();
        Assert.Contains("message_stop", text);
        Assert.Contains("\"model\":\"claude-haiku-4-5\"", text);
        var row = Assert.Single(await gateway.LedgerAsync(1));
        Assert.Equal(("auto", "claude-haiku-4-5"), (row.RequestedModel, row.ServedModel));
        Assert.True(row.Streamed);
    }

    [Fact]
    public async Task It_never_picks_a_model_that_cannot_serve_the_request()
    {
        // gpt-3.5-turbo: no images, no JSON schema, a 16k window; a threshold of 1 would always choose it otherwise.
        await using var gateway = await GatewayFixture.StartAsync(Router(threshold: 1.0, openai: ["gpt-3.5-turbo", "gpt-4o-mini"]));
        using var http = gateway.Client(gateway.CreateKey());

        using var plain = await http.SendAsync(Chat(Easy));
        Assert.Equal("gpt-3.5-turbo", Header(plain, RouterStage.RoutedModelHeader));

        var image = """{"model":"auto","max_tokens":16,"messages":[{"role":"user","content":[{"type":"text","text":"what is this?"},{"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0KGgo="}}]}]}""";
        using var withImage = await http.PostAsync("/v1/chat/completions", new StringContent(image, Encoding.UTF8, "application/json"));
        Assert.Equal("gpt-4o-mini", Header(withImage, RouterStage.RoutedModelHeader));

        using var schema = await http.SendAsync(Chat(Easy, extra: "\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"x\",\"schema\":{\"type\":\"object\"}}}"));
        Assert.Equal("gpt-4o-mini", Header(schema, RouterStage.RoutedModelHeader));

        // About 25k tokens: more than gpt-3.5-turbo's 16,385-token window.
        using var longPrompt = await http.SendAsync(Chat(string.Join(' ', Enumerable.Repeat("context", 25_000))));
        Assert.Equal("gpt-4o-mini", Header(longPrompt, RouterStage.RoutedModelHeader));
    }

    [Fact]
    public async Task A_request_no_candidate_can_serve_is_a_400_in_the_protocol_format_saying_why()
    {
        await using var gateway = await GatewayFixture.StartAsync(Router(threshold: 0.5));
        using var http = gateway.Client(gateway.CreateKey());
        var tooLong = Chat(Easy);
        tooLong.Content = new StringContent("""{"model":"auto","max_tokens":1000000,"messages":[{"role":"user","content":"hi"}]}""", Encoding.UTF8, "application/json");
        using var openai = await http.SendAsync(tooLong);
        Assert.Equal(HttpStatusCode.BadRequest, openai.StatusCode);
        using var error = JsonDocument.Parse(await openai.Content.ReadAsStringAsync());
        Assert.Equal("no_eligible_model", error.RootElement.GetProperty("error").GetProperty("code").GetString());
        Assert.Contains("gpt-4o-mini writes at most 16384 tokens", error.RootElement.GetProperty("error").GetProperty("message").GetString());

        using var unknown = await http.SendAsync(Messages(Easy, model: "auto:nope"));
        Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);
        using var anthropicError = JsonDocument.Parse(await unknown.Content.ReadAsStringAsync());
        Assert.Equal("error", anthropicError.RootElement.GetProperty("type").GetString());
        Assert.Contains("no router named 'nope'", anthropicError.RootElement.GetProperty("error").GetProperty("message").GetString());
        // Both refusals are on the ledger, at $0.
        var rows = await gateway.LedgerAsync(2);
        Assert.Equal(2, rows.Count);
        Assert.All(rows, r => Assert.Equal(0, r.CostNanos));
        Assert.Empty(gateway.Bill.Entries);
    }

    [Fact]
    public async Task A_session_stays_on_its_model_may_escalate_and_never_steps_down()
    {
        await using var gateway = await GatewayFixture.StartAsync(Router(threshold: Midpoint()));
        using var http = gateway.Client(gateway.CreateKey());

        async Task<string> Turn(string text, string session)
        {
            using var response = await http.SendAsync(Chat(text, session: session));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            return Header(response, RouterStage.RoutedModelHeader);
        }

        Assert.Equal("gpt-4o", await Turn(Hard, "s1"));
        Assert.Equal("gpt-4o", await Turn(Easy, "s1"));       // pinned: no step down mid-task
        Assert.Equal("gpt-4o-mini", await Turn(Easy, "s2"));  // another session starts cheap
        Assert.Equal("gpt-4o", await Turn(Hard, "s2"));       // escalates
        Assert.Equal("gpt-4o", await Turn(Easy, "s2"));       // and stays there
        Assert.Equal("gpt-4o-mini", await Turn(Easy, "s3"));
    }

    [Fact]
    public async Task Without_a_session_header_the_conversation_opening_pins_it()
    {
        await using var gateway = await GatewayFixture.StartAsync(Router(threshold: Midpoint()));
        using var http = gateway.Client(gateway.CreateKey());
        var first = """{"model":"auto","max_tokens":32,"messages":[{"role":"system","content":"You are terse."},{"role":"user","content":"HARD"}]}""".Replace("HARD", Hard);
        var later = """{"model":"auto","max_tokens":32,"messages":[{"role":"system","content":"You are terse."},{"role":"user","content":"HARD"},{"role":"assistant","content":"ok"},{"role":"user","content":"hi"}]}""".Replace("HARD", Hard);
        using var one = await http.PostAsync("/v1/chat/completions", new StringContent(first, Encoding.UTF8, "application/json"));
        using var two = await http.PostAsync("/v1/chat/completions", new StringContent(later, Encoding.UTF8, "application/json"));
        Assert.Equal(Header(one, RouterStage.RoutedModelHeader), Header(two, RouterStage.RoutedModelHeader));
    }

    [Fact]
    public async Task Plain_auto_uses_the_teams_router()
    {
        await using var gateway = await GatewayFixture.StartAsync(o =>
        {
            Router(threshold: 1.0)(o);
            Router(threshold: 0.0, name: "deep")(o);
            o.Routing.Teams["research"] = "deep";
        });
        using var core = gateway.Client(gateway.CreateKey("ada", "core"));
        using var research = gateway.Client(gateway.CreateKey("bea", "research"));
        using var a = await core.SendAsync(Chat(Easy));
        using var b = await research.SendAsync(Chat(Easy));
        using var c = await core.SendAsync(Chat(Easy, model: "auto:deep"));
        Assert.Equal("gpt-4o-mini", Header(a, RouterStage.RoutedModelHeader));
        Assert.Equal("gpt-4o", Header(b, RouterStage.RoutedModelHeader));
        Assert.Equal("gpt-4o", Header(c, RouterStage.RoutedModelHeader));
    }

    [Fact]
    public async Task It_only_routes_to_models_the_callers_tier_allows_and_the_tier_check_sees_the_routed_model()
    {
        await using var gateway = await GatewayFixture.StartAsync(o =>
        {
            Router(threshold: 0.0)(o); // would always choose gpt-4o
            o.Budgets.Tiers["junior"] = new TierOptions { People = ["ada"], AllowedModels = ["gpt-4o-mini"] };
        });
        using var http = gateway.Client(gateway.CreateKey("ada", "core"));
        using var response = await http.SendAsync(Chat(Hard));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("gpt-4o-mini", Header(response, RouterStage.RoutedModelHeader));
    }

    [Fact]
    public async Task A_strong_share_sends_about_that_share_to_the_strong_model()
    {
        await using var gateway = await GatewayFixture.StartAsync(Router(share: 0.25, pin: false));
        using var http = gateway.Client(gateway.CreateKey());
        var prompts = Enumerable.Range(0, 120).Select(i => i % 3 == 0 ? $"{Hard} Case {i}." : $"Say hello to person number {i} in a friendly way.").ToList();
        var strong = 0;
        for (var i = 0; i < prompts.Count; i++)
        {
            using var response = await http.SendAsync(Chat(prompts[i]));
            Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
            // The first 50 scores fill the window; the share is measured on the rest.
            if (i >= 50 && Header(response, RouterStage.RoutedModelHeader) == "gpt-4o") strong++;
        }
        Assert.InRange(strong / 70.0, 0.10, 0.40);
    }
}
