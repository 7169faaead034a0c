using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using TokenOps.Core.Outcomes;
using TokenOps.Core.Poker;
using TokenOps.Gateway.Outcomes;
using TokenOps.Gateway.Tests.Infrastructure;

namespace TokenOps.Gateway.Tests.Outcomes;

/// <summary>Webhooks on a real loopback gateway: signatures (valid, invalid, missing, replayed with a changed body), idempotent redelivery, ticket shapes.</summary>
public sealed class OutcomeWebhookTests
{
    private const string GitHubSecretVariable = "TOKENOPS_TEST_GITHUB_WEBHOOK_SECRET";
    private const string TicketSecretVariable = "TOKENOPS_TEST_TICKET_WEBHOOK_SECRET";
    private const string GitHubSecret = "gh-CANARY-webhook-secret-5d1e";
    private const string TicketSecret = "ticket-CANARY-webhook-secret-9a2b";

    internal static Task<GatewayFixture> StartAsync(Action<TokenOps.Gateway.Configuration.GatewayOptions>? configure = null)
    {
        Environment.SetEnvironmentVariable(GitHubSecretVariable, GitHubSecret);
        Environment.SetEnvironmentVariable(TicketSecretVariable, TicketSecret);
        return GatewayFixture.StartAsync(o =>
        {
            o.Outcomes.GitHubSecretEnv = GitHubSecretVariable;
            o.Outcomes.TicketSecretEnv = TicketSecretVariable;
            o.Outcomes.People["octocat"] = "ada";
            configure?.Invoke(o);
        });
    }

    internal static string MergedPr(int number = 42, string login = "octocat", string merged = "2026-11-20T15:00:00Z", string action = "closed", bool isMerged = true) => $$$"""
        {"action":"{{{action}}}","number":{{{number}}},
         "pull_request":{"number":{{{number}}},"title":"Add cart","merged":{{{(isMerged ? "true" : "false")}}},"merged_at":"{{{merged}}}",
           "created_at":"2026-11-18T09:00:00Z","user":{"login":"{{{login}}}"},"head":{"ref":"feat/cart"},"base":{"repo":{"full_name":"acme/shop"} } },
         "repository":{"full_name":"acme/shop"}}
        """;

    internal static HttpRequestMessage GitHub(string body, string? signature, string delivery, string eventName = "pull_request")
    {
        var request = new HttpRequestMessage(HttpMethod.Post, OutcomeEndpoints.GitHubPath) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        if (signature is not null) request.Headers.Add("X-Hub-Signature-256", signature);
        request.Headers.Add("X-GitHub-Delivery", delivery);
        request.Headers.Add("X-GitHub-Event", eventName);
        return request;
    }

    internal static string Sign(string body, string secret = GitHubSecret) => WebhookSignature.Sign(secret, Encoding.UTF8.GetBytes(body));

    private static async Task<(int Status, JsonElement Body)> SendAsync(HttpClient http, HttpRequestMessage request)
    {
        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return ((int)response.StatusCode, JsonDocument.Parse(text).RootElement.Clone());
    }

    [Fact]
    public async Task GitHub_ValidSignature_RecordsTheMergedPr_AndRedeliveryChangesNothing()
    {
        await using var gateway = await StartAsync();
        using var http = gateway.Client();
        var body = MergedPr();
        var (status, created) = await SendAsync(http, GitHub(body, Sign(body), "d-1"));
        Assert.Equal(201, status);
        Assert.Equal("created", created.GetProperty("status").GetString());
        Assert.Equal("github-pr:acme/shop#42", created.GetProperty("id").GetString());

        var (again, duplicate) = await SendAsync(http, GitHub(body, Sign(body), "d-1"));          // same delivery replayed
        Assert.Equal((200, "duplicate"), (again, duplicate.GetProperty("status").GetString()));
        var later = MergedPr(merged: "2026-11-21T10:00:00Z");
        var (other, unchanged) = await SendAsync(http, GitHub(later, Sign(later), "d-2")); // same PR, new delivery
        Assert.Equal((200, "unchanged"), (other, unchanged.GetProperty("status").GetString()));

        var store = gateway.App.Services.GetRequiredService<OutcomeService>().Store;
        Assert.Equal(1, store.Count());
        var pr = store.Find("github-pr:acme/shop#42")!;
        Assert.Equal(("ada", "feat/cart", "shop", OutcomeType.Pr), (pr.Person, pr.Branch, pr.Project, pr.Type)); // octocat mapped to ada
        Assert.Equal(new DateTimeOffset(2026, 11, 20, 15, 0, 0, TimeSpan.Zero), pr.CompletedAt);  // the first delivery's, unchanged
        Assert.Equal(new DateTimeOffset(2026, 11, 18, 9, 0, 0, TimeSpan.Zero), pr.StartedAt);
        Assert.Empty(await gateway.LedgerAsync()); // webhooks are not LLM routes: never metered, never proxied
    }

    [Fact]
    public async Task GitHub_BadMissingOrReplayedWithAChangedBody_IsRefusedLoggedAndNothingStored()
    {
        await using var gateway = await StartAsync();
        using var http = gateway.Client();
        var body = MergedPr();
        var tampered = MergedPr(number: 43);
        foreach (var request in new[]
        {
            GitHub(body, null, "d-missing"),
            GitHub(body, Sign(body, "wrong-secret"), "d-wrong"),
            GitHub(body, "sha256=not-hex", "d-malformed"),
            GitHub(tampered, Sign(body), "d-replayed"),        // a captured signature replayed on another body
            GitHub(body, Sign(body)[7..].ToUpperInvariant() + "00", "d-long"),
        })
        {
            var (status, error) = await SendAsync(http, request);
            Assert.Equal(401, status);
            Assert.Equal("invalid_signature", error.GetProperty("error").GetProperty("code").GetString());
        }
        Assert.Equal(0, gateway.App.Services.GetRequiredService<OutcomeService>().Store.Count());
        var logs = string.Join('\n', gateway.Logs.Lines);
        Assert.Contains("GitHub webhook refused: missing X-Hub-Signature-256 (delivery d-missing)", logs);
        Assert.Contains("signature does not match the body (delivery d-replayed)", logs);
        Assert.DoesNotContain(GitHubSecret, logs);
        // A refused delivery was not remembered: the genuine one with the same id still goes through.
        var (ok, _) = await SendAsync(http, GitHub(body, Sign(body), "d-wrong"));
        Assert.Equal(201, ok);
        // Bare hex (no "sha256=") is accepted too.
        var (bare, _) = await SendAsync(http, GitHub(tampered, Sign(tampered)[7..], "d-bare"));
        Assert.Equal(201, bare);
    }

    [Fact]
    public async Task GitHub_NonMergesPingAndIssues()
    {
        await using var gateway = await StartAsync();
        using var http = gateway.Client();
        var closed = MergedPr(isMerged: false);
        Assert.Equal(202, (await SendAsync(http, GitHub(closed, Sign(closed), "d-closed"))).Status);
        var opened = MergedPr(action: "opened");
        Assert.Equal(202, (await SendAsync(http, GitHub(opened, Sign(opened), "d-opened"))).Status);
        Assert.Equal(200, (await SendAsync(http, GitHub("{}", Sign("{}"), "d-ping", "ping"))).Status);
        var issue = """{"action":"closed","issue":{"number":12,"title":"Fix login","state_reason":"completed","closed_at":"2026-11-20T10:00:00Z","created_at":"2026-11-19T10:00:00Z","user":{"login":"octocat"}},"repository":{"full_name":"acme/shop"}}""";
        var (status, body) = await SendAsync(http, GitHub(issue, Sign(issue), "d-issue", "issues"));
        Assert.Equal(201, status);
        Assert.Equal("github-issue:acme/shop#12", body.GetProperty("id").GetString());
        var broken = "{not json";
        Assert.Equal(400, (await SendAsync(http, GitHub(broken, Sign(broken), "d-broken"))).Status);
        var noMergedAt = """{"action":"closed","pull_request":{"number":1,"merged":true},"repository":{"full_name":"acme/shop"}}""";
        var (bad, error) = await SendAsync(http, GitHub(noMergedAt, Sign(noMergedAt), "d-bad"));
        Assert.Equal(400, bad);
        Assert.Equal("invalid_payload", error.GetProperty("error").GetProperty("code").GetString());
        Assert.Equal(1, gateway.App.Services.GetRequiredService<OutcomeService>().Store.Count());
    }

    [Fact]
    public async Task Webhooks_AreDisabledWithoutASecret()
    {
        await using var gateway = await GatewayFixture.StartAsync(o =>
        {
            o.Outcomes.GitHubSecretEnv = "TOKENOPS_TEST_UNSET_GH_SECRET";
            o.Outcomes.TicketSecretEnv = "TOKENOPS_TEST_UNSET_TICKET_SECRET";
        });
        using var http = gateway.Client();
        Assert.Equal(503, (await SendAsync(http, GitHub("{}", "sha256=00", "d"))).Status);
        Assert.Equal(503, (int)(await http.PostAsync(OutcomeEndpoints.TicketsPath, new StringContent("{}"))).StatusCode);
    }

    [Fact]
    public async Task Tickets_JiraLinearAndGitHubIssueShapes_WithEachAuthMethod()
    {
        await using var gateway = await StartAsync(o => o.Outcomes.People["ada@acme.com"] = "ada");
        using var http = gateway.Client();
        var jira = """
            {"webhookEvent":"jira:issue_updated","timestamp":1763632800000,
             "issue":{"key":"PROJ-7","fields":{"summary":"Speed up search","created":"2026-11-17T08:00:00.000+0000",
               "resolutiondate":"2026-11-20T10:00:00.000+0000","resolution":{"name":"Done"},"status":{"statusCategory":{"key":"done"}},
               "assignee":{"emailAddress":"ada@acme.com"},"project":{"key":"PROJ"}}}}
            """;
        var linear = """
            {"action":"update","type":"Issue","webhookTimestamp":1763632800000,
             "data":{"identifier":"ENG-3","title":"Retry queue","createdAt":"2026-11-18T08:00:00Z","startedAt":"2026-11-19T08:00:00Z",
               "completedAt":"2026-11-20T12:00:00Z","state":{"type":"completed"},"assignee":{"email":"bob@acme.com"},"team":{"key":"ENG"}}}
            """;
        var unresolved = """{"webhookEvent":"jira:issue_updated","issue":{"key":"PROJ-8","fields":{"resolution":null,"status":{"statusCategory":{"key":"indeterminate"}}}}}""";
        var ghIssue = """{"action":"closed","issue":{"number":5,"closed_at":"2026-11-20T10:00:00Z","state_reason":"completed","user":{"login":"zoe"}},"repository":{"full_name":"acme/api"}}""";

        async Task<(int, JsonElement)> Post(string body, string header, string value, string? delivery = null)
        {
            var request = new HttpRequestMessage(HttpMethod.Post, OutcomeEndpoints.TicketsPath) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
            request.Headers.Add(header, value);
            if (delivery is not null) request.Headers.Add("Linear-Delivery", delivery);
            return await SendAsync(http, request);
        }

        var (s1, b1) = await Post(jira, "X-TokenOps-Webhook-Secret", TicketSecret);
        Assert.Equal((201, "jira:PROJ-7"), (s1, b1.GetProperty("id").GetString()));
        var (s2, b2) = await Post(linear, "Linear-Signature", WebhookSignature.Sign(TicketSecret, Encoding.UTF8.GetBytes(linear))[7..], "ld-1");
        Assert.Equal((201, "linear:ENG-3"), (s2, b2.GetProperty("id").GetString()));
        Assert.Equal("duplicate", (await Post(linear, "Linear-Signature", WebhookSignature.Sign(TicketSecret, Encoding.UTF8.GetBytes(linear))[7..], "ld-1")).Item2.GetProperty("status").GetString());
        var (s3, b3) = await Post(ghIssue, "X-Hub-Signature-256", WebhookSignature.Sign(TicketSecret, Encoding.UTF8.GetBytes(ghIssue)));
        Assert.Equal((201, "github-issue:acme/api#5"), (s3, b3.GetProperty("id").GetString()));
        Assert.Equal(202, (await Post(unresolved, "X-TokenOps-Webhook-Secret", TicketSecret)).Item1);
        Assert.Equal(200, (await Post(jira, "X-TokenOps-Webhook-Secret", TicketSecret)).Item1); // redelivered: unchanged
        Assert.Equal(401, (await Post(jira, "X-TokenOps-Webhook-Secret", "guess")).Item1);
        Assert.Equal(401, (await Post(jira, "X-Hub-Signature-256", WebhookSignature.Sign("guess", Encoding.UTF8.GetBytes(jira)))).Item1);
        var (s4, b4) = await Post("""{"hello":"world"}""", "X-TokenOps-Webhook-Secret", TicketSecret);
        Assert.Equal(400, s4);
        Assert.Contains("Jira", b4.GetProperty("error").GetProperty("message").GetString());

        var store = gateway.App.Services.GetRequiredService<OutcomeService>().Store;
        Assert.Equal(3, store.Count());
        var p7 = store.Find("jira:PROJ-7")!;
        Assert.Equal(("ada", "PROJ", "PROJ-7"), (p7.Person, p7.Project, p7.Key));
        Assert.Equal(new DateTimeOffset(2026, 11, 20, 10, 0, 0, TimeSpan.Zero), p7.CompletedAt);
        Assert.Equal(new DateTimeOffset(2026, 11, 17, 8, 0, 0, TimeSpan.Zero), p7.StartedAt);
        Assert.Equal("bob", store.Find("linear:ENG-3")!.Person); // e-mail without a mapping: its local part
        Assert.DoesNotContain(TicketSecret, string.Join('\n', gateway.Logs.Lines));
    }

    [Fact]
    public async Task PokerPolicy_IsRegistered_AndScoresStoredOutcomes()
    {
        await using var gateway = await StartAsync(o =>
        {
            o.Outcomes.HoursSavedByType["pr"] = 2m;
            o.Outcomes.DefaultHourlyRateUsd = 100m;
        });
        using var http = gateway.Client();
        var body = MergedPr();
        Assert.Equal(201, (await SendAsync(http, GitHub(body, Sign(body), "d-poker"))).Status);
        var policy = Assert.Single(gateway.App.Services.GetServices<IPokerScoringPolicy>(), p => p.Name == "outcome-value-per-dollar");
        var monday = new DateTimeOffset(2026, 11, 16, 0, 0, 0, TimeSpan.Zero);
        var score = policy.Score(new PokerPlayerWeek("ada", "core", monday, monday.AddDays(7), 25m, 10m, 10, 10));
        Assert.Equal(20m, score.Value); // 2 h × 100 USD / 10 USD
        Assert.Equal(0m, policy.Score(new PokerPlayerWeek("bob", "core", monday, monday.AddDays(7), 25m, 10m, 10, 10)).Value);
    }
}
