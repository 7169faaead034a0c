using System.Net;
using System.Text;
using System.Text.Json;
using TokenOps.Gateway.Configuration;
using TokenOps.Gateway.Tests.Budgets;
using TokenOps.Gateway.Tests.Infrastructure;

namespace TokenOps.Gateway.Tests.Protocols;

/// <summary>POST /v1/messages/count_tokens is forwarded, answered as the provider answers, recorded at $0 and never reserved.</summary>
public sealed class CountTokensTests
{
    [Fact]
    public async Task CountTokens_IsForwarded_RecordedAtZero_AndServedEvenWithAnExhaustedHardBudget()
    {
        await using var gateway = await GatewayFixture.StartAsync(o => o.Budgets.People["ada"] = new BudgetOptions { LimitUsd = 0.000001m, Period = "daily" });
        using var http = gateway.Client(gateway.CreateKey());
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/messages/count_tokens")
        {
            Content = new StringContent("""{"model":"claude-sonnet-4-5","messages":[{"role":"user","content":"How many tokens is this?"}]}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("anthropic-version", "2023-06-01");
        using var response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using (var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync()))
            Assert.True(doc.RootElement.GetProperty("input_tokens").GetInt64() > 0);
        var row = Assert.Single(await gateway.LedgerAsync(1));
        Assert.Equal(("anthropic.count_tokens", 0L, false), (row.Route, row.CostNanos, row.Estimated));
        Assert.Empty(gateway.Bill.Entries);
        Assert.Equal(0m, Assert.Single(await gateway.SettledSnapshotsAsync()).Spent);
    }
}
