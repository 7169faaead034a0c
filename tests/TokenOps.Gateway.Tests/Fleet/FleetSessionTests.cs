using System.Net;
using System.Text;
using System.Text.Json;
using TokenOps.TestServers;

namespace TokenOps.Gateway.Tests.Fleet;

/// <summary>
/// A dashboard session behind a load balancer: opened on one replica, valid on another; signed out on one, or its key
/// revoked from the CLI, it ends on every replica at the next call.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class FleetSessionTests(PostgresServer server)
{
    private static async Task<bool> SignedIn(string replicaUrl, string cookie)
    {
        using var http = new HttpClient { BaseAddress = new Uri(replicaUrl) };
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/dashboard/me");
        request.Headers.Add("Cookie", cookie);
        using var response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.TryGetProperty("person", out _);
    }

    private static async Task<string> SignIn(string replicaUrl, string key)
    {
        using var http = new HttpClient { BaseAddress = new Uri(replicaUrl) };
        using var response = await http.PostAsync("/api/dashboard/session", new StringContent($$"""{"key":"{{key}}"}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var setCookie = response.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("tokenops_session=", StringComparison.Ordinal));
        return setCookie.Split(';')[0];
    }

    [Fact]
    public async Task A_session_opened_on_one_replica_works_on_the_others_and_ends_everywhere()
    {
        await using var fleet = await Fleet.StartAsync(3, server.Database(nameof(FleetSessionTests)));
        var key = await fleet.CreateKeyAsync("ada", "payments");

        var cookie = await SignIn(fleet.Urls[0], key);
        Assert.True(await SignedIn(fleet.Urls[1], cookie));
        Assert.True(await SignedIn(fleet.Urls[2], cookie));

        // Signed out on replica 1: replica 0, where it was opened, no longer knows it.
        using (var http = new HttpClient { BaseAddress = new Uri(fleet.Urls[1]) })
        using (var request = new HttpRequestMessage(HttpMethod.Delete, "/api/dashboard/session"))
        {
            request.Headers.Add("Cookie", cookie);
            using var response = await http.SendAsync(request);
            Assert.True(response.IsSuccessStatusCode, $"sign-out answered {(int)response.StatusCode}");
        }
        Assert.False(await SignedIn(fleet.Urls[0], cookie));

        // Revoked from the CLI (another process): every replica's session of that key ends at its next call.
        var second = await SignIn(fleet.Urls[2], key);
        Assert.True(await SignedIn(fleet.Urls[0], second));
        var keyId = (await fleet.CliAsync("keys", "list")).Stdout.Split('\n').Select(l => l.Split(' ', 2)[0]).Single(id => id.StartsWith("key_", StringComparison.Ordinal));
        Assert.Equal(0, (await fleet.CliAsync("keys", "revoke", keyId)).ExitCode);
        Assert.False(await SignedIn(fleet.Urls[1], second));
        Assert.False(await SignedIn(fleet.Urls[2], second));
    }
}
