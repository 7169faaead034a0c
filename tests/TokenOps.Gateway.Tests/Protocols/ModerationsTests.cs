using System.Net;
using System.Text;
using System.Text.Json;
using TokenOps.Gateway.Configuration;
using TokenOps.Gateway.Tests.Budgets;
using TokenOps.Gateway.Tests.Infrastructure;

namespace TokenOps.Gateway.Tests.Protocols;

/// <summary>POST /v1/moderations is forwarded, answered as the provider answers, recorded at $0 and never reserved.</summary>
public sealed class ModerationsTests
{
    [Theory]
    [InlineData("""{"input":["is this fine?","and this?"]}""", "omni-moderation-latest", 2)]
    [InlineData("""{"model":"text-moderation-latest","input":"is this fine?"}""", "text-moderation-latest", 1)]
    public async Task Moderations_AreForwarded_RecordedAtZero_EvenWithAnExhaustedHardBudget(string json, string model, int results)
    {
        await using var gateway = await GatewayFixture.StartAsync(o => o.Budgets.People["ada"] = new BudgetOptions { LimitUsd = 0.000001m, Period = "daily" });
        using var http = gateway.Client(gateway.CreateKey());
        using var response = await http.PostAsync("/v1/moderations", new StringContent(json, Encoding.UTF8, "application/json"));
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        using (var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync()))
            Assert.Equal(results, doc.RootElement.GetProperty("results").GetArrayLength());
        var row = Assert.Single(await gateway.LedgerAsync(1));
        Assert.Equal(("openai.moderations", model, 0L, false), (row.Route, row.RequestedModel, row.CostNanos, row.Estimated));
        Assert.Empty(gateway.Bill.Entries);
    }

    [Fact]
    public async Task AModerationWithoutInput_Is400_InTheOpenAIShape()
    {
        await using var gateway = await GatewayFixture.StartAsync();
        using var http = gateway.Client(gateway.CreateKey());
        using var response = await http.PostAsync("/v1/moderations", new StringContent("""{"model":"omni-moderation-latest"}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("missing_field", doc.RootElement.GetProperty("error").GetProperty("code").GetString());
    }
}
