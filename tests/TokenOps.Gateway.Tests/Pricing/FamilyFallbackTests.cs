using System.Net;
using System.Text;
using System.Text.Json;
using TokenOps.Core.Pricing;
using TokenOps.Gateway.Tests.Infrastructure;
using TokenOps.Gateway.Tests.Telemetry;

namespace TokenOps.Gateway.Tests.Pricing;

/// <summary>
/// prices.familyFallback: a model newer than the catalog is priced as its family's newest known sibling, served by that
/// sibling's provider, and every such row is flagged price_estimated, counted on /metrics and named by `status`.
/// </summary>
public sealed class FamilyFallbackTests
{
    private const string NewerClaude = "claude-sonnet-5-1-20270101";   // the bundled catalog's newest sonnet is claude-sonnet-5
    private const string NewerGptMini = "gpt-5.7-mini";                // ... and its newest gpt mini gpt-5.4-mini-2026-03-17

    private static async Task<(HttpStatusCode, JsonElement, string?)> PostAsync(HttpClient http, string path, string body, bool anthropic)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        if (anthropic) request.Headers.Add("anthropic-version", "2023-06-01");
        using var response = await http.SendAsync(request);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return (response.StatusCode, doc.RootElement.Clone(), response.Headers.TryGetValues("X-TokenOps-Request-Id", out var ids) ? ids.Single() : null);
    }

    private static string Claude(string model) => $$"""{"model":"{{model}}","max_tokens":32,"messages":[{"role":"user","content":"hello"}]}""";
    private static string Chat(string model) => $$"""{"model":"{{model}}","messages":[{"role":"user","content":"hello"}]}""";

    [Fact]
    public async Task A_newer_model_is_priced_as_its_newest_sibling_flagged_counted_and_named_by_status()
    {
        await using var gateway = await GatewayFixture.StartAsync(o => o.Pricing.FamilyFallback = true);
        using var http = gateway.Client(gateway.CreateKey());

        var (status, body, claudeId) = await PostAsync(http, "/v1/messages", Claude(NewerClaude), anthropic: true);
        Assert.True(status == HttpStatusCode.OK, body.ToString());
        Assert.Equal(NewerClaude, body.GetProperty("model").GetString()); // the provider was asked for the model itself
        (status, body, var gptId) = await PostAsync(http, "/v1/chat/completions", Chat(NewerGptMini), anthropic: false);
        Assert.True(status == HttpStatusCode.OK, body.ToString());
        (status, _, var knownId) = await PostAsync(http, "/v1/chat/completions", Chat("gpt-4o-mini"), anthropic: false);
        Assert.Equal(HttpStatusCode.OK, status);

        var rows = await gateway.LedgerAsync(3);
        var claude = rows.Single(r => r.Id == claudeId);
        var gpt = rows.Single(r => r.Id == gptId);
        Assert.Equal((NewerClaude, "simulator-anthropic", true), (claude.ServedModel, claude.Provider, claude.PriceEstimated));
        Assert.Equal((NewerGptMini, "simulator-openai", true), (gpt.ServedModel, gpt.Provider, gpt.PriceEstimated));
        Assert.False(rows.Single(r => r.Id == knownId).PriceEstimated);
        // Priced exactly at the sibling's rates.
        var catalog = BundledCatalog.Load();
        Assert.True(catalog.TryGet("claude-sonnet-5", out var sonnet));
        Assert.True(catalog.TryGet("gpt-5.4-mini-2026-03-17", out var mini));
        Assert.True(claude.CostNanos > 0 && gpt.CostNanos > 0);
        Assert.Equal(NanoUsd.FromUsd(CostCalculator.Compute(sonnet, claude.Usage).Total), claude.CostNanos);
        Assert.Equal(NanoUsd.FromUsd(CostCalculator.Compute(mini, gpt.Usage).Total), gpt.CostNanos);

        // The warning metric, by model.
        var deadline = DateTime.UtcNow.AddSeconds(10);
        List<PrometheusSample> estimated;
        do
        {
            using var scrape = await http.GetAsync("/metrics");
            estimated = PrometheusSample.Parse(await scrape.Content.ReadAsStringAsync()).Where(s => s.Name == "tokenops_prices_estimated_total").ToList();
        } while (estimated.Count < 2 && DateTime.UtcNow < deadline && await Task.Delay(100).ContinueWith(_ => true));
        Assert.Equal(1, estimated.Single(s => s["gen_ai_response_model"] == NewerClaude).Value);
        Assert.Equal(1, estimated.Single(s => s["gen_ai_response_model"] == NewerGptMini).Value);
        Assert.DoesNotContain(estimated, s => s["gen_ai_response_model"] == "gpt-4o-mini");

        // The ledger as scripts read it, and the status line.
        var (code, stdout, stderr) = await CliProcess.RunAsync("ledger", "--format", "json", "--data", gateway.DataDirectory);
        Assert.True(code == 0, stderr);
        var flags = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement)
            .ToDictionary(r => r.GetProperty("id").GetString()!, r => r.GetProperty("price_estimated").GetBoolean());
        Assert.Equal((true, true, false), (flags[claudeId!], flags[gptId!], flags[knownId!]));
        (code, stdout, stderr) = await CliProcess.RunAsync("status", "--data", gateway.DataDirectory);
        Assert.True(code == 0, stderr);
        Assert.Contains("family fallback off", stdout); // status reads tokenops.json, and none was given
        var warning = Assert.Single(stdout.Split('\n'), l => l.StartsWith("Warning: 2 request(s) in the last 7 days were priced by family estimate", StringComparison.Ordinal));
        Assert.Contains($"{NewerClaude} x1", warning);
        Assert.Contains($"{NewerGptMini} x1", warning);
        Assert.Contains("tokenops prices update", warning);
    }

    [Fact]
    public async Task Off_by_default_a_newer_model_is_refused_with_how_to_price_it_in_each_protocol()
    {
        await using var gateway = await GatewayFixture.StartAsync();
        using var http = gateway.Client(gateway.CreateKey());

        var (status, body, id) = await PostAsync(http, "/v1/messages", Claude(NewerClaude), anthropic: true);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("error", body.GetProperty("type").GetString());
        var error = body.GetProperty("error");
        Assert.Equal(("invalid_request_error", "model_not_priced"), (error.GetProperty("type").GetString(), error.GetProperty("code").GetString()));
        var message = error.GetProperty("message").GetString()!;
        Assert.Contains("tokenops prices update", message);
        Assert.Contains($"\"prices\": {{ \"{NewerClaude}\": {{ \"inputPerMTok\": 3, \"outputPerMTok\": 15 }} }}", message);
        Assert.Contains("\"familyFallback\": true", message);
        Assert.Contains("'claude-sonnet-5'", message);

        (status, body, _) = await PostAsync(http, "/v1/chat/completions", Chat(NewerGptMini), anthropic: false);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        error = body.GetProperty("error");
        Assert.Equal(("invalid_request_error", "model_not_priced", "model"),
            (error.GetProperty("type").GetString(), error.GetProperty("code").GetString(), error.GetProperty("param").GetString()));
        message = error.GetProperty("message").GetString()!;
        Assert.Contains("tokenops prices update", message);
        Assert.Contains($"\"{NewerGptMini}\": {{ \"inputPerMTok\"", message);
        Assert.Contains("'gpt-5.4-mini-2026-03-17'", message);

        // A model with no known family: still 404, with the same advice.
        (status, body, _) = await PostAsync(http, "/v1/chat/completions", Chat("acme-brainy"), anthropic: false);
        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Equal("model_not_found", body.GetProperty("error").GetProperty("code").GetString());
        Assert.Contains("tokenops prices update", body.GetProperty("error").GetProperty("message").GetString());

        var row = (await gateway.LedgerAsync()).Single(r => r.Id == id);
        Assert.Equal((400, TokenOps.Core.Ledger.LedgerOutcome.Refused, "model_not_priced", 0L, false), (row.Status, row.Outcome, row.ErrorCode, row.CostNanos, row.PriceEstimated));
        Assert.Empty(gateway.Bill.Entries);
    }

    [Fact]
    public async Task Explicit_prices_and_the_allow_list_win_over_the_estimate()
    {
        await using var gateway = await GatewayFixture.StartAsync(o =>
        {
            o.Pricing.FamilyFallback = true;
            o.Prices[NewerClaude] = new PriceOverride { InputPerMTok = 1, OutputPerMTok = 2, Provider = "anthropic" };
            o.Models["claude-opus-6-local"] = new() { Provider = "simulator-anthropic" };
            o.AllowUnpriced.Add("claude-opus-6-local");
        });
        using var http = gateway.Client(gateway.CreateKey());
        var (status, _, id) = await PostAsync(http, "/v1/messages", Claude(NewerClaude), anthropic: true);
        Assert.Equal(HttpStatusCode.OK, status);
        var row = (await gateway.LedgerAsync()).Single(r => r.Id == id);
        Assert.False(row.PriceEstimated);
        Assert.Equal(NanoUsd.FromUsd(row.Usage.UncachedInput * 0.000001m + row.Usage.Output * 0.000002m), row.CostNanos);

        // Allow-listed as free: the operator said $0, so no sibling's price is borrowed.
        (status, _, id) = await PostAsync(http, "/v1/messages", Claude("claude-opus-6-local"), anthropic: true);
        Assert.Equal(HttpStatusCode.OK, status);
        row = (await gateway.LedgerAsync()).Single(r => r.Id == id);
        Assert.Equal((0L, false), (row.CostNanos, row.PriceEstimated));
    }
}
