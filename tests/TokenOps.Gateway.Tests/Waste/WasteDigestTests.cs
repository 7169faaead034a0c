using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using TokenOps.Core.Ledger;
using TokenOps.Core.Metering;
using TokenOps.Core.Pricing;
using TokenOps.Core.Waste;
using TokenOps.Gateway.Alerts;
using TokenOps.Gateway.Configuration;
using TokenOps.Gateway.Tests.Alerts;
using TokenOps.Gateway.Waste;
using TokenOps.Storage.Sqlite;

namespace TokenOps.Gateway.Tests.Waste;

/// <summary>
/// The weekly waste digest: at the configured day and hour it posts the past week's top findings to every webhook (a real
/// HTTP receiver on loopback), once a week even with two replicas on one database, and names teams, not people, unless told.
/// </summary>
public sealed class WasteDigestTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "tokenops-digest", Guid.NewGuid().ToString("N"));
    // Wednesday 2 December 2026, 08:00 UTC.
    private readonly ManualClock _clock = new(new DateTimeOffset(2026, 12, 2, 8, 0, 0, TimeSpan.Zero));

    private static IEnumerable<LedgerEntry> ReRolls(string person, string team, DateTimeOffset at) => Enumerable.Range(0, 4).Select(i => new LedgerEntry
    {
        Id = $"evt_digest_{person}_{at:MMddHH}_{i}", StartedAt = at.AddMinutes(i), EndedAt = at.AddMinutes(i).AddSeconds(2), Route = "openai.chat",
        Person = person, Team = team, KeyId = "key-" + person, ServedModel = "gpt-4o", Usage = new TokenUsage { UncachedInput = 1000, Output = 200 },
        Cost = new CostBreakdown { UncachedInput = 0.0025m, Output = 0.002m }, Status = 200, Outcome = LedgerOutcome.Ok,
        TurnSimHash = SimHash.Of("Why does the checkout page time out when the cart has more than fifty items?" + new string('!', i)), MessageCount = 1,
        FinishReason = "stop", KeyKind = "person",
    });

    private WasteDigest Replica(SqliteDatabase database, GatewayOptions options) =>
        new(new SqliteAlertStore(database), new SqliteWasteRowReader(database), new SqliteKeyStore(database, _clock), new SqliteOutcomeStore(database, _clock),
            new SqliteBudgetStore(database, _clock), () => BundledCatalog.Load(), options, _clock, NullLogger<WasteDigest>.Instance);

    [Theory]
    [InlineData("monday", 9, "2026-11-30T09:00:00Z")]
    [InlineData("wednesday", 8, "2026-12-02T08:00:00Z")]
    [InlineData("wednesday", 9, "2026-11-25T09:00:00Z")]
    [InlineData("sunday", 23, "2026-11-29T23:00:00Z")]
    public void The_latest_send_time_is_this_weeks_or_last_weeks(string day, int hour, string expected) =>
        Assert.Equal(DateTimeOffset.Parse(expected, System.Globalization.CultureInfo.InvariantCulture),
            WasteDigest.LatestDue(new DateTimeOffset(2026, 12, 2, 8, 0, 0, TimeSpan.Zero), Enum.Parse<DayOfWeek>(day, true), hour));

    [Fact]
    public async Task The_digest_is_posted_once_a_week_across_replicas_with_dollars_and_fixes()
    {
        await using var slack = await WebhookReceiver.StartAsync();
        await using var json = await WebhookReceiver.StartAsync();
        var options = new GatewayOptions();
        options.Alerts.Forecasts = false;
        options.Alerts.Webhooks = [new WebhookOptions { Url = slack.Url.ToString(), Format = "slack" }, new WebhookOptions { Url = json.Url.ToString(), Format = "json" }];
        options.Alerts.WasteDigest = new WasteDigestOptions { Enabled = true, Day = "monday", Hour = 9, Top = 3 };
        var database = new SqliteDatabase(_dir);
        // Last week: ada re-rolls twice (payments), bob once (search); the week before: an older re-roll, not in this digest.
        new SqliteLedgerStore(database).Write([.. ReRolls("ada", "payments", new(2026, 11, 25, 10, 0, 0, TimeSpan.Zero)),
            .. ReRolls("ada", "payments", new(2026, 11, 26, 15, 0, 0, TimeSpan.Zero)), .. ReRolls("bob", "search", new(2026, 11, 27, 11, 0, 0, TimeSpan.Zero)),
            .. ReRolls("cy", "search", new(2026, 11, 20, 11, 0, 0, TimeSpan.Zero))]);
        var first = Replica(database, options);
        var second = Replica(database, options);

        var digest = first.TryAdd();
        Assert.NotNull(digest);
        Assert.Null(second.TryAdd()); // the other replica finds this week's digest in the outbox
        Assert.Null(first.TryAdd());
        // The week is 2026-11-23 09:00 to 2026-11-30 09:00: three re-rolls of four attempts, the three extra ones of $0.0045 each
        // wasted; ada's two make one finding (payments, $0.027), bob's another (search, $0.0135).
        Assert.Equal(3 * 3 * 0.0045m, digest!.Spent);
        Assert.Contains("2026-11-23 to 2026-11-30", digest.Message);
        Assert.Contains("$0.04 in 2 finding(s)", digest.Message);
        Assert.Contains("1. retry-by-vibes · payments · $0.03 · Instead of re-sending", digest.Message);
        Assert.Contains("2. retry-by-vibes · search · $0.01", digest.Message);
        Assert.DoesNotContain("ada", digest.Message); // teams, not people, in a shared channel

        var deliverer = new WebhookDeliverer(new SqliteAlertStore(database), options.Alerts, _clock, new HttpClient(), NullLogger<WebhookDeliverer>.Instance);
        await deliverer.DeliverDueAsync(CancellationToken.None);
        var text = JsonDocument.Parse(Assert.Single(slack.Accepted)).RootElement.GetProperty("text").GetString()!;
        Assert.StartsWith("TokenOps weekly waste digest", text);
        var body = JsonDocument.Parse(Assert.Single(json.Accepted)).RootElement;
        Assert.Equal(("wastedigest", "waste-digest"), (body.GetProperty("kind").GetString(), body.GetProperty("budget").GetString()));

        // A day later: nothing new. The next Monday 09:00: next week's digest, once.
        _clock.Advance(TimeSpan.FromDays(1));
        Assert.Null(first.TryAdd());
        _clock.Now = new DateTimeOffset(2026, 12, 7, 9, 0, 0, TimeSpan.Zero);
        var next = second.TryAdd();
        Assert.NotNull(next);
        Assert.Contains("no waste found", next!.Message);
        Assert.Null(first.TryAdd());
        await deliverer.DeliverDueAsync(CancellationToken.None);
        Assert.Equal(2, slack.Accepted.Count);
    }

    [Fact]
    public void Off_by_default_and_people_named_only_when_asked()
    {
        var options = new GatewayOptions();
        options.Alerts.Webhooks = [new WebhookOptions { Url = "http://127.0.0.1:9/hook" }];
        Assert.Null(Replica(new SqliteDatabase(_dir), options).TryAdd());
        var finding = new WasteFinding
        {
            Detector = WasteDetectors.ContextStuffing, Person = "dana", Team = "growth", Rows = ["evt_1"], WastedUsd = 1.5m, Formula = "f", Fix = "Send the diff.",
        };
        var at = new DateTimeOffset(2026, 11, 30, 9, 0, 0, TimeSpan.Zero);
        Assert.Contains("1. context-stuffing · dana (growth) · $1.50 · Send the diff.",
            WasteDigest.Message([finding], at.AddDays(-7), at, new WasteDigestOptions { NamePeople = true }));
        Assert.Contains("1. context-stuffing · growth · $1.50", WasteDigest.Message([finding], at.AddDays(-7), at, new WasteDigestOptions()));
    }

    public void Dispose()
    {
        if (Directory.Exists(_dir)) try { Directory.Delete(_dir, true); } catch (IOException) { }
    }
}
