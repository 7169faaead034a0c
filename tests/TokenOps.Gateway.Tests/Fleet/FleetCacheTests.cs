using System.Text;
using Microsoft.Extensions.DependencyInjection;
using System.Text.Json;
using TokenOps.TestServers;

namespace TokenOps.Gateway.Tests.Fleet;

/// <summary>
/// The response cache across a fleet on PostgreSQL: an answer paid for on one replica is served by another, both for an
/// identical request (the shared entries) and for a paraphrase (the semantic index each replica reads from the
/// database); a replica killed and started again still knows the paraphrases, and nothing is billed twice.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class FleetCacheTests(PostgresServer server)
{
    private const string CacheOn = """ "cache": { "exact": { "enabled": true }, "semantic": { "enabled": true } },""";

    private static async Task<(string? Cache, string Text)> Ask(Fleet fleet, string key, int replica, string question)
    {
        using var http = fleet.Client(key, replica);
        var body = $$"""{"model":"gpt-4o-mini","messages":[{"role":"user","content":{{JsonSerializer.Serialize(question)}}}]}""";
        using var response = await http.PostAsync("/v1/chat/completions", new StringContent(body, Encoding.UTF8, "application/json"));
        var json = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, json);
        var text = JsonDocument.Parse(json).RootElement.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString()!;
        return (response.Headers.TryGetValues("X-TokenOps-Cache", out var c) ? c.Single() : null, text);
    }

    [Fact]
    public async Task A_paraphrase_answered_on_one_replica_is_served_by_another_and_after_a_restart()
    {
        await using var fleet = await Fleet.StartAsync(2, server.Database(nameof(FleetCacheTests)), extra: CacheOn);
        var key = await fleet.CreateKeyAsync("ada", "payments");

        var paid = await Ask(fleet, key, 0, "How do I reset my password?");
        Assert.Equal("miss", paid.Cache);
        // Replica 1 reads the published entry within its sync interval (a second); give it a few.
        await Task.Delay(TimeSpan.FromSeconds(3));
        var exact = await Ask(fleet, key, 1, "How do I reset my password?");
        var paraphrase = await Ask(fleet, key, 1, "How can I reset my password?");
        Assert.Equal(("hit", paid.Text), exact);
        Assert.Equal(("semantic", paid.Text), paraphrase);
        // A near miss is still a miss on any replica.
        Assert.Equal("miss", (await Ask(fleet, key, 1, "How do I reset my PIN?")).Cache);

        // Replica 0 killed and started again: its index is read back from the database before it serves.
        fleet.Kill(0);
        await fleet.StartReplicaAsync(0);
        Assert.Equal(("semantic", paid.Text), await Ask(fleet, key, 0, "How can I reset my password?"));

        // The provider answered twice (the first question and the near miss); the ledger has a row per request.
        Assert.Equal(2, fleet.Simulator.Services.GetRequiredService<TokenOps.Simulator.SimulatorBill>().Entries.Count);
        Assert.Equal(5, (await fleet.LedgerAsync(5)).Rows);
    }
}
