using System.Net;
using System.Text;
using System.Text.Json;
using TokenOps.Core.Savings;
using TokenOps.Gateway.Configuration;
using TokenOps.Gateway.Routing;
using TokenOps.Gateway.Tests.Infrastructure;

namespace TokenOps.Gateway.Tests.Routing;

public class CascadeTests
{
    // Threshold 1: the router starts every request on the cheap model; the cascade escalates when its answer fails.
    private static Action<GatewayOptions> Cascading(bool cascade = true) => o => o.Routing.Routers["auto"] = new RouterOptions
    {
        Openai = ["gpt-4o-mini", "gpt-4o"],
        Anthropic = ["claude-haiku-4-5", "claude-sonnet-4-5"],
        Threshold = 1.0,
        Cascade = cascade,
    };

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    [Fact]
    public async Task An_answer_stopped_by_the_token_limit_escalates_each_attempt_is_a_linked_row_and_the_client_sees_one_answer()
    {
        await using var gateway = await GatewayFixture.StartAsync(Cascading());
        using var http = gateway.Client(gateway.CreateKey());
        // max_tokens 1: every simulated answer is cut by the limit (natural lengths are 20..200 tokens).
        using var response = await http.PostAsync("/v1/chat/completions", Json("""{"model":"auto","max_tokens":1,"messages":[{"role":"user","content":"hi"}]}"""));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("gpt-4o", response.Headers.GetValues(RouterStage.RoutedModelHeader).Single());
        using var answer = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("gpt-4o", answer.RootElement.GetProperty("model").GetString());
        Assert.Equal(new[] { "gpt-4o-mini", "gpt-4o" }, gateway.Bill.Entries.Select(e => e.Model).ToArray());

        var rows = await gateway.LedgerAsync(2);
        var final = Assert.Single(rows, r => r.ParentId is null);
        var attempt = Assert.Single(rows, r => r.ParentId is not null);
        Assert.Equal(final.Id, attempt.ParentId);
        Assert.Equal(response.Headers.GetValues("X-TokenOps-Request-Id").Single(), final.Id);
        Assert.Equal(("gpt-4o-mini", "cascade_escalated:length"), (attempt.ServedModel, attempt.ErrorCode));
        Assert.Equal("gpt-4o", final.ServedModel);
        // The wasted attempt is a negative saving; the answer was served by the baseline itself, so it saved nothing.
        Assert.Equal(-attempt.CostNanos, attempt.Savings.NanosOf(SavingsLevers.Routed));
        Assert.Equal(0L, final.Savings.TotalNanos);
        // Every call the provider billed is on the ledger, to the nano-dollar.
        Assert.Equal(gateway.BilledNanos(gateway.Bill.Entries), rows.Sum(r => r.CostNanos));
    }

    [Fact]
    public async Task An_answer_that_is_not_the_requested_json_escalates_on_anthropic_too()
    {
        await using var gateway = await GatewayFixture.StartAsync(Cascading());
        using var http = gateway.Client(gateway.CreateKey());
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/messages")
        {
            Content = Json("""{"model":"auto","max_tokens":400,"output_format":{"type":"json_schema","schema":{"type":"object","required":["answer"]}},"messages":[{"role":"user","content":"hi"}]}"""),
        };
        request.Headers.Add("anthropic-version", "2023-06-01");
        using var response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var rows = await gateway.LedgerAsync(2);
        Assert.Equal(2, rows.Count);
        Assert.Contains(rows, r => r.ErrorCode == "cascade_escalated:invalid_json" && r.ServedModel == "claude-haiku-4-5");
    }

    [Fact]
    public async Task Streamed_requests_and_routers_without_cascade_make_one_attempt()
    {
        await using var gateway = await GatewayFixture.StartAsync(Cascading(cascade: false));
        using var http = gateway.Client(gateway.CreateKey());
        using var response = await http.PostAsync("/v1/chat/completions", Json("""{"model":"auto","max_tokens":1,"messages":[{"role":"user","content":"hi"}]}"""));
        Assert.Equal("gpt-4o-mini", response.Headers.GetValues(RouterStage.RoutedModelHeader).Single());
        Assert.Single(await gateway.LedgerAsync(1));

        await using var cascading = await GatewayFixture.StartAsync(Cascading());
        using var client = cascading.Client(cascading.CreateKey());
        using var stream = await client.PostAsync("/v1/chat/completions", Json("""{"model":"auto","stream":true,"max_tokens":1,"messages":[{"role":"user","content":"hi"}]}"""));
        Assert.Contains("[DONE]", await stream.Content.ReadAsStringAsync());
        var row = Assert.Single(await cascading.LedgerAsync(1));
        Assert.Equal("gpt-4o-mini", row.ServedModel);
    }
}
