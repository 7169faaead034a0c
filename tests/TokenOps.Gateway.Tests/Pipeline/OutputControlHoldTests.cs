using System.Globalization;
using System.Net;
using System.Text;
using TokenOps.Gateway.Configuration;
using TokenOps.Gateway.Pipeline;
using TokenOps.Gateway.Tests.Infrastructure;
using Xunit.Abstractions;

namespace TokenOps.Gateway.Tests.Pipeline;

/// <summary>
/// Issue 14's headline: a one-word request to gpt-5 without max_tokens held the model's whole output limit (128,000 tokens
/// at 10 USD per million: 1.28 USD) against its sender's budget. With outputControl.maxTokens.default the hold is sized from
/// the default instead, so a small budget admits the request.
/// </summary>
public sealed class OutputControlHoldTests(ITestOutputHelper output)
{
    private const string OneWord = """{"model":"gpt-5","messages":[{"role":"user","content":"Hi"}]}""";

    private static async Task<GatewayFixture> StartAsync(decimal limitUsd, long? defaultMaxTokens) => await GatewayFixture.StartAsync(o =>
    {
        o.Budgets.People["ada"] = new BudgetOptions { LimitUsd = limitUsd, Period = "daily" };
        if (defaultMaxTokens is { } d) o.OutputControl.MaxTokens = new MaxTokensOptions { Default = d };
    });

    private static async Task<(HttpStatusCode Status, decimal? Held, string Body)> SendAsync(GatewayFixture gateway)
    {
        using var http = gateway.Client(gateway.CreateKey("ada", "core"));
        using var response = await http.PostAsync("/v1/chat/completions", new StringContent(OneWord, Encoding.UTF8, "application/json"));
        decimal? held = response.Headers.TryGetValues(AdmitStage.HeldHeader, out var v) ? decimal.Parse(v.Single(), CultureInfo.InvariantCulture) : null;
        return (response.StatusCode, held, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task OneWordToGpt5_WithoutMaxTokens_HoldsTheDefault_NotTheModelsWholeOutputLimit()
    {
        decimal holdBefore, holdAfter;
        await using (var before = await StartAsync(10m, defaultMaxTokens: null))
        {
            var (status, held, _) = await SendAsync(before);
            Assert.Equal(HttpStatusCode.OK, status);
            holdBefore = held!.Value;
        }
        await using (var after = await StartAsync(10m, defaultMaxTokens: 1024))
        {
            var (status, held, _) = await SendAsync(after);
            Assert.Equal(HttpStatusCode.OK, status);
            holdAfter = held!.Value;
            var row = Assert.Single(await after.LedgerAsync(1));
            Assert.Equal("max_completion_tokens=1024(default)", row.OutputControl);
        }
        output.WriteLine($"hold without outputControl: {holdBefore} USD; with maxTokens.default 1024: {holdAfter} USD");
        // 128,000 output tokens at 10 USD per million, plus the prompt's bound (about a hundred tokens at 1.25 USD per million).
        Assert.InRange(holdBefore, 1.28m, 1.2805m);
        // 1,024 output tokens: about a cent.
        Assert.InRange(holdAfter, 0.01024m, 0.0105m);
    }

    [Fact]
    public async Task AHalfDollarBudget_RefusesItWithoutTheDefault_AndAdmitsItWithIt()
    {
        await using (var without = await StartAsync(0.50m, defaultMaxTokens: null))
        {
            var (status, _, body) = await SendAsync(without);
            Assert.Equal(HttpStatusCode.PaymentRequired, status);
            Assert.Contains("may cost up to 1.28", body, StringComparison.Ordinal);
            Assert.Equal(0, without.Bill.Count);
        }
        await using var with = await StartAsync(0.50m, defaultMaxTokens: 1024);
        var (okStatus, held, _) = await SendAsync(with);
        Assert.Equal(HttpStatusCode.OK, okStatus);
        Assert.InRange(held!.Value, 0.01024m, 0.0105m);
        Assert.Equal(1, with.Bill.Count);
    }
}
