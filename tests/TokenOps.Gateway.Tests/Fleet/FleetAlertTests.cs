using System.Net;
using System.Text.Json;
using TokenOps.Gateway.Tests.Alerts;
using TokenOps.TestServers;

namespace TokenOps.Gateway.Tests.Fleet;

/// <summary>
/// One alert, three replicas: each replica evaluates the rules and sees the budget cross its threshold, all three
/// deliver from the one outbox, and the webhook receives the alert exactly once.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class FleetAlertTests(PostgresServer server)
{
    [Fact]
    public async Task One_alert_raised_on_three_replicas_is_delivered_exactly_once()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var extra = $$"""
            "budgets": { "teams": { "payments": { "limitUsd": 0.00001, "period": "monthly", "mode": "soft" } } },
            "alerts": { "thresholds": [ 50 ], "forecasts": false, "evaluateEverySeconds": 0.2, "initialBackoffSeconds": 0.1,
                        "webhooks": [ { "url": {{JsonSerializer.Serialize(receiver.Url.ToString())}}, "format": "json" } ] },
            """;
        await using var fleet = await Fleet.StartAsync(3, server.Database(nameof(FleetAlertTests)), extra: extra);
        var key = await fleet.CreateKeyAsync("ada", "payments");
        // Every replica spends past the threshold, so every replica's evaluation raises the same alert.
        for (var replica = 0; replica < 3; replica++)
        {
            using var http = fleet.Client(key, replica);
            using var response = await http.PostAsync("/v1/chat/completions", Fleet.ChatBody(stream: false));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (receiver.Accepted.Count == 0 && DateTime.UtcNow < deadline) await Task.Delay(100);
        // Several more evaluation and delivery passes on each replica: nothing more may arrive.
        await Task.Delay(TimeSpan.FromSeconds(3));
        var delivered = receiver.Accepted.Select(b => JsonDocument.Parse(b).RootElement).ToList();
        var alert = Assert.Single(delivered);
        Assert.Equal("team:payments", alert.GetProperty("budget").GetString());
        Assert.Equal(50, alert.GetProperty("threshold").GetInt32());
        var (exit, stdout, _) = await fleet.CliAsync("alerts");
        Assert.Equal(0, exit);
        Assert.Contains("payments", stdout);
    }
}
