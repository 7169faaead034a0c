using System.Globalization;
using System.Net;
using System.Text.Json;
using TokenOps.Gateway.Outcomes;

namespace TokenOps.Cli.Demo;

/// <summary>
/// The organisation's merged pull requests, sent as GitHub would: POST /webhooks/github with event pull_request,
/// action closed, merged true, signed with X-Hub-Signature-256 (HMAC-SHA256 of the body with the webhook secret).
/// The PR was opened a few days before it merged, so the author's spend in between is linked to it.
/// </summary>
internal sealed class DemoOutcomes(HttpClient http, TimeProvider clock, string secret)
{
    /// <summary>Who merges PRs into which repository, and how often (chance per workday). Two GitHub logins differ from the person's name (mapped in outcomes.people).</summary>
    private static readonly (string Login, string Repository, double PerDay)[] Authors =
    [
        ("alice", "acme/checkout", 0.45),
        ("bruno", "acme/checkout", 0.25),
        ("chen", "acme/ledger-v2", 0.30),
        ("farah", "acme/infra", 0.20),
        ("gus-ops", "acme/infra", 0.30),
        ("hana", "acme/search-index", 0.25),
        ("jonas", "acme/experiments", 0.20),
        ("kemi-o", "acme/experiments", 0.30),
        ("liam", "acme/landing-pages", 0.35),
    ];

    private readonly Random _random = new(7);
    private int _number = 100;

    public int Merged { get; private set; }

    /// <summary>Sends the day's merges (merged in the last half hour before the clock's now); throws if the gateway does not record one.</summary>
    public async Task MergeDayAsync(CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        foreach (var (login, repository, perDay) in Authors)
        {
            if (_random.NextDouble() >= perDay) continue;
            var number = ++_number;
            var merged = now.AddMinutes(-_random.Next(1, 30));
            var opened = merged.AddDays(-(1 + _random.Next(0, 4))).AddHours(-_random.Next(0, 6));
            var body = JsonSerializer.SerializeToUtf8Bytes(new
            {
                action = "closed",
                number,
                pull_request = new
                {
                    number,
                    title = $"{Topics[_random.Next(Topics.Length)]} (#{number})",
                    merged = true,
                    created_at = Iso(opened),
                    merged_at = Iso(merged),
                    user = new { login },
                    head = new { @ref = $"{login}/change-{number}" },
                },
                repository = new { full_name = repository },
            });
            using var request = new HttpRequestMessage(HttpMethod.Post, OutcomeEndpoints.GitHubPath.TrimStart('/')) { Content = new ByteArrayContent(body) };
            request.Content.Headers.ContentType = new("application/json");
            request.Headers.Add("X-GitHub-Event", "pull_request");
            request.Headers.Add("X-GitHub-Delivery", Guid.NewGuid().ToString());
            request.Headers.Add("X-Hub-Signature-256", WebhookSignature.Sign(secret, body));
            using var response = await http.SendAsync(request, cancellationToken);
            if (response.StatusCode != HttpStatusCode.Created)
                throw new InvalidOperationException($"the gateway answered {(int)response.StatusCode} to a signed GitHub webhook: {await response.Content.ReadAsStringAsync(cancellationToken)}");
            Merged++;
        }
    }

    private static readonly string[] Topics =
        ["Retry idempotent payment calls", "Flaky queue test", "Index strategy for search", "Release notes tooling", "Ledger migration", "Landing page copy", "Experiment dashboard"];

    private static string Iso(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
