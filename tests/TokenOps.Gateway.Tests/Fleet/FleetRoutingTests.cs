using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using TokenOps.Gateway.Routing;
using TokenOps.Routing;
using TokenOps.TestServers;

namespace TokenOps.Gateway.Tests.Fleet;

/// <summary>Two replicas on one Redis pin a conversation once: its turns stay on one model whichever replica serves them.</summary>
[Collection(PostgresCollection.Name)]
public sealed class FleetRoutingTests(PostgresServer server, RedisServer redis) : IClassFixture<RedisServer>
{
    private const string Easy = "hi";
    private const string Hard =
        "Prove that for every integer n >= 1 the sum of the first n odd numbers equals n^2, then derive a closed form for " +
        "sum_{k=1}^{n} k^3, and write a Python function that checks both identities for n up to 10^6 in O(n) time. Explain each step.";

    private static double Score(StrongScorer scorer, string text) => scorer.Score(new RoutePrompt(null, [new RouteTurn("user", text)], 0, null)).StrongScore;

    [Fact]
    public async Task A_session_pinned_on_one_replica_stays_on_its_model_on_the_other()
    {
        var scorer = StrongScorer.LoadDefault();
        var threshold = ((Score(scorer, Easy) + Score(scorer, Hard)) / 2).ToString(CultureInfo.InvariantCulture);
        await using var fleet = await Fleet.StartAsync(2, server.Database(nameof(FleetRoutingTests)), redis.ConnectionString, models: ["gpt-4o"],
            extra: $$""" "routing": { "routers": { "auto": { "openai": ["gpt-4o-mini", "gpt-4o"], "threshold": {{threshold}} } } }, """);
        var key = await fleet.CreateKeyAsync("ada", "core");

        async Task<string> Turn(string text, string session, int replica)
        {
            using var http = fleet.Client(key, replica);
            using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
            {
                Content = new StringContent(JsonSerializer.Serialize(new { model = "auto", max_tokens = 32, messages = new[] { new { role = "user", content = text } } }), Encoding.UTF8, "application/json"),
            };
            request.Headers.Add("x-claude-code-session-id", session);
            using var response = await http.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            return response.Headers.GetValues(RouterStage.RoutedModelHeader).Single();
        }

        var session = Guid.NewGuid().ToString("N");
        Assert.Equal("gpt-4o", await Turn(Hard, session, 0));
        Assert.Equal("gpt-4o", await Turn(Easy, session, 1));       // the other replica knows the pin
        Assert.Equal("gpt-4o-mini", await Turn(Easy, Guid.NewGuid().ToString("N"), 1));
        var ledger = await fleet.LedgerAsync(3);
        Assert.Equal(3, ledger.Rows);
    }
}
