using TokenOps.Core.Alerts;
using TokenOps.Core.Budgets;

namespace TokenOps.Storage.Tests.Alerts;

/// <summary>
/// What every <see cref="IAlertStore"/> must do: one alert per dedupe key, its outbox rows added with it, due times,
/// backoff state and delivery. Unlike the other suites, each test gets an empty store (a backend's subclass builds one
/// per test instance): <see cref="IAlertStore.Due"/> and <see cref="IAlertStore.List"/> read across every alert, so
/// ordering and limits can only be checked on rows the test alone wrote.
/// </summary>
public abstract class AlertStoreConformanceTests
{
    /// <summary>An empty store of this test's own.</summary>
    protected abstract IAlertStore Store { get; }

    protected static readonly DateTimeOffset T0 = new(2025, 6, 2, 9, 0, 0, TimeSpan.Zero);

    protected static Alert NewAlert(string budget, DateTimeOffset createdAt, AlertKind kind = AlertKind.Threshold, int? threshold = 80,
        DateTimeOffset? periodStart = null)
    {
        var start = periodStart ?? new DateTimeOffset(2025, 6, 1, 0, 0, 0, TimeSpan.Zero);
        var key = Alert.KeyFor(budget, start, kind, threshold);
        return new Alert(Alert.IdFor(key), key, kind, budget, BudgetLevel.Team, "core", threshold, 80.123456789m, 100m,
            kind == AlertKind.Forecast ? start.AddDays(20).AddTicks(3) : null, start, start.AddMonths(1),
            $"{budget} reached {threshold}%", createdAt);
    }

    private static AlertDelivery Queued(Alert a, string webhook) => new(a.Id, webhook, 0, a.CreatedAt, null, null);

    [Fact]
    public virtual void Claim_leases_due_rows_until_they_are_marked_or_the_lease_ends()
    {
        var a = NewAlert("team-claim-a", T0);
        var b = NewAlert("team-claim-b", T0.AddMinutes(1));
        Assert.True(Store.TryAdd(a, ["https://a.example/hook"]));
        Assert.True(Store.TryAdd(b, ["https://a.example/hook", "https://b.example/hook"]));
        var lease = TimeSpan.FromMinutes(2);
        var now = T0.AddMinutes(5);

        var claimed = Store.Claim(now, lease);
        Assert.Equal([(a.Id, "https://a.example/hook"), (b.Id, "https://a.example/hook"), (b.Id, "https://b.example/hook")],
            claimed.Select(c => (c.Alert.Id, c.Delivery.Webhook)));
        Assert.Equal(a, claimed[0].Alert);
        Assert.Equal(a.CreatedAt, claimed[0].Delivery.NextAttemptAt); // as it was before the claim
        // Leased: nobody else sees them as due, not even the same caller again.
        Assert.Empty(Store.Claim(now, lease));
        Assert.Empty(Store.Due(now));

        Store.MarkDelivered(a.Id, "https://a.example/hook", now);
        Store.MarkFailed(b.Id, "https://a.example/hook", now.AddSeconds(30), "HTTP 503");
        // The failed row falls due at its backoff; the row never marked (its claimer died) when the lease ends.
        Assert.Equal([(b.Id, "https://a.example/hook")], Store.Claim(now.AddSeconds(30), lease).Select(c => (c.Alert.Id, c.Delivery.Webhook)));
        Assert.Empty(Store.Claim(now + lease - TimeSpan.FromSeconds(1), lease));
        var reclaimed = Assert.Single(Store.Claim(now + lease, lease));
        Assert.Equal((b.Id, "https://b.example/hook", 0), (reclaimed.Alert.Id, reclaimed.Delivery.Webhook, reclaimed.Delivery.Attempts));
        // Given back unattempted: due at the time named, attempts unchanged.
        Store.Release(b.Id, "https://b.example/hook", now + lease + TimeSpan.FromSeconds(10));
        Assert.Empty(Store.Claim(now + lease + TimeSpan.FromSeconds(9), lease));
        var released = Assert.Single(Store.Claim(now + lease + TimeSpan.FromSeconds(10), lease));
        Assert.Equal(0, released.Delivery.Attempts);
    }

    [Fact]
    public virtual void Claim_respects_max_and_racing_claimers_never_share_a_row()
    {
        for (var i = 0; i < 40; i++) Assert.True(Store.TryAdd(NewAlert($"team-race-{i:D2}", T0.AddSeconds(i)), ["https://a.example/hook"]));
        Assert.Equal(5, Store.Claim(T0.AddHours(1), TimeSpan.FromMinutes(2), max: 5).Count);
        var taken = new System.Collections.Concurrent.ConcurrentBag<string>();
        Parallel.For(0, 8, new ParallelOptions { MaxDegreeOfParallelism = 8 }, _ =>
        {
            for (var round = 0; round < 10; round++)
                foreach (var (alert, _) in Store.Claim(T0.AddHours(1), TimeSpan.FromMinutes(2), max: 3)) taken.Add(alert.Id);
        });
        Assert.Equal(35, taken.Count);
        Assert.Equal(35, taken.Distinct().Count());
    }

    [Fact]
    public virtual void TryAdd_stores_an_alert_once_per_dedupe_key()
    {
        var alert = NewAlert("team-core", T0);
        Assert.True(Store.TryAdd(alert, ["https://a.example/hook"]));
        Assert.False(Store.TryAdd(alert, ["https://a.example/hook"]));
        // Evaluated again later, with another message and another webhook configured: still the same alert, nothing queued.
        Assert.False(Store.TryAdd(alert with { Message = "again", CreatedAt = T0.AddHours(1) }, ["https://b.example/hook"]));
        // Another id under the same dedupe key is the same alert too.
        Assert.False(Store.TryAdd(alert with { Id = "alr_other" }, ["https://b.example/hook"]));
        // Another threshold is another key, so another alert.
        var ninety = NewAlert("team-core", T0.AddMinutes(5), threshold: 90);
        Assert.True(Store.TryAdd(ninety, ["https://a.example/hook"]));

        var listed = Store.List();
        Assert.Equal([ninety, alert], listed.Select(a => a.Alert));
        Assert.Equal([Queued(alert, "https://a.example/hook")], listed[1].Deliveries);
        Assert.Equal(2, Store.Due(T0.AddDays(1)).Count);
    }

    [Fact]
    public virtual async Task Concurrent_adds_of_one_dedupe_key_store_one_alert_and_queue_it_once()
    {
        const int Writers = 6;
        using var start = new Barrier(Writers);
        var results = await Task.WhenAll(Enumerable.Range(0, Writers).Select(w => Task.Run(() =>
        {
            start.SignalAndWait();
            return Store.TryAdd(NewAlert("team-race", T0) with { Message = "writer " + w }, ["https://a.example/hook", "https://w" + w + ".example/hook"]);
        })));
        Assert.Equal(1, results.Count(r => r));
        var stored = Assert.Single(Store.List());
        var winner = Array.IndexOf(results, true);
        Assert.Equal("writer " + winner, stored.Alert.Message);
        Assert.Equal(["https://a.example/hook", "https://w" + winner + ".example/hook"], stored.Deliveries.Select(d => d.Webhook));
        Assert.Equal(2, Store.Due(T0).Count);
    }

    [Fact]
    public virtual void TryAdd_queues_one_outbox_row_per_distinct_webhook_due_from_the_alert_time()
    {
        var alert = NewAlert("team-core", T0);
        Assert.True(Store.TryAdd(alert, ["https://b.example/hook", "https://a.example/hook", "https://b.example/hook"]));
        Assert.Empty(Store.Due(T0 - TimeSpan.FromTicks(1)));
        var due = Store.Due(T0);
        Assert.Equal(2, due.Count);
        Assert.All(due, d => Assert.Equal(alert, d.Alert));
        Assert.Equal([Queued(alert, "https://a.example/hook"), Queued(alert, "https://b.example/hook")], due.Select(d => d.Delivery).OrderBy(d => d.Webhook, StringComparer.Ordinal));
        // Listed with the alert, in webhook order (byte order: upper case first).
        Assert.True(Store.TryAdd(NewAlert("team-x", T0), ["https://b", "https://B", "https://a"]));
        Assert.Equal(["https://B", "https://a", "https://b"], Store.List().Single(a => a.Alert.BudgetId == "team-x").Deliveries.Select(d => d.Webhook));
    }

    [Fact]
    public virtual void An_alert_without_webhooks_is_stored_and_never_due()
    {
        var alert = NewAlert("team-core", T0);
        Assert.True(Store.TryAdd(alert, []));
        Assert.False(Store.TryAdd(alert, ["https://late.example/hook"]));
        var stored = Assert.Single(Store.List());
        Assert.Equal(alert, stored.Alert);
        Assert.Empty(stored.Deliveries);
        Assert.Empty(Store.Due(T0.AddYears(1)));
    }

    [Fact]
    public virtual void TryAdd_is_one_transaction_an_outbox_row_that_fails_leaves_no_alert()
    {
        var alert = NewAlert("team-core", T0);
        // A null webhook violates the outbox's NOT NULL: the alert inserted before it in the same transaction is gone too.
        Assert.ThrowsAny<Exception>(() => Store.TryAdd(alert, ["https://a.example/hook", null!]));
        Assert.Empty(Store.List());
        Assert.Empty(Store.Due(T0.AddDays(1)));
        Assert.True(Store.TryAdd(alert, ["https://a.example/hook"]));
        Assert.Single(Store.Due(T0));
    }

    [Fact]
    public virtual void Every_alert_field_reads_back_exactly()
    {
        var forecast = NewAlert("person-ada", T0, AlertKind.Forecast, threshold: null) with
        {
            Level = BudgetLevel.Person, Name = "Zoë 'q' \"d\"", Spent = 1234.5678901234m /* rounded to nanos */, Limit = 0.000000001m,
            // 100 ns precision and offsets other than UTC: read back as the same instants, in UTC.
            ProjectedExhaustion = new DateTimeOffset(2025, 6, 20, 1, 2, 3, TimeSpan.FromHours(5)).AddTicks(1_234_567),
            CreatedAt = T0.ToOffset(TimeSpan.FromHours(-7)).AddTicks(7), Message = "line\nbreak; DROP TABLE alerts;--",
        };
        var threshold = NewAlert("org", T0.AddMinutes(1), threshold: 100) with { Level = BudgetLevel.Organisation };
        Assert.True(Store.TryAdd(forecast, ["https://a"]));
        Assert.True(Store.TryAdd(threshold, ["https://a"]));
        var expected = forecast with
        {
            Spent = 1234.567890123m, ProjectedExhaustion = forecast.ProjectedExhaustion!.Value.ToUniversalTime(),
            CreatedAt = forecast.CreatedAt.ToUniversalTime(),
        };
        var listed = Store.List();
        Assert.Equal([threshold, expected], listed.Select(a => a.Alert));
        Assert.Equal(TimeSpan.Zero, listed[1].Alert.CreatedAt.Offset);
        Assert.Equal(forecast.ProjectedExhaustion!.Value.UtcTicks, listed[1].Alert.ProjectedExhaustion!.Value.UtcTicks);
        Assert.Null(listed[1].Alert.Threshold);
        Assert.Equal(100, listed[0].Alert.Threshold);
        Assert.Null(listed[0].Alert.ProjectedExhaustion);
        Assert.Equal([expected, threshold], Store.Due(T0.AddHours(1)).Select(d => d.Alert));
        Assert.Equal(forecast.CreatedAt.UtcTicks, Store.Due(T0.AddHours(1))[0].Delivery.NextAttemptAt.UtcTicks);
    }

    [Fact]
    public virtual void Due_is_oldest_first_by_next_attempt_then_alert_time_then_id_and_honours_max()
    {
        var a = NewAlert("a", T0.AddMinutes(2));
        var b = NewAlert("b", T0);
        var c = NewAlert("c", T0.AddMinutes(1));
        // Same creation time as b: ordered after b or before by id (byte order).
        var d = NewAlert("d", T0);
        foreach (var alert in new[] { a, b, c, d }) Assert.True(Store.TryAdd(alert, ["https://h"]));
        var (first, second) = string.CompareOrdinal(b.Id, d.Id) < 0 ? (b, d) : (d, b);
        Assert.Equal([first, second, c, a], Store.Due(T0.AddHours(1)).Select(x => x.Alert));
        Assert.Equal([first, second], Store.Due(T0.AddHours(1), max: 2).Select(x => x.Alert));
        Assert.Equal([first, second, c], Store.Due(T0.AddMinutes(1)).Select(x => x.Alert));
        // A failed attempt moves the row behind the others by its next attempt time, whatever its alert time.
        Store.MarkFailed(first.Id, "https://h", T0.AddMinutes(3), "boom");
        Assert.Equal([second, c, a, first], Store.Due(T0.AddHours(1)).Select(x => x.Alert));
        Assert.Equal([second, c, a], Store.Due(T0.AddMinutes(3) - TimeSpan.FromTicks(1)).Select(x => x.Alert));
        Assert.Empty(Store.Due(T0.AddHours(1), max: 0));
    }

    [Fact]
    public virtual void Due_breaks_a_tie_on_next_attempt_by_alert_time_before_id()
    {
        var older = NewAlert("older", T0);
        // A newer alert whose id sorts first: the alert time must still win.
        var newer = Enumerable.Range(0, 100).Select(i => NewAlert("newer" + i, T0.AddMinutes(1))).First(a => string.CompareOrdinal(a.Id, older.Id) < 0);
        Assert.True(Store.TryAdd(newer, ["https://h"]));
        Assert.True(Store.TryAdd(older, ["https://h"]));
        var retry = T0.AddMinutes(5);
        Store.MarkFailed(newer.Id, "https://h", retry, "x");
        Store.MarkFailed(older.Id, "https://h", retry, "y");
        Assert.Equal([older, newer], Store.Due(retry).Select(d => d.Alert));
        Assert.Equal([older], Store.Due(retry, max: 1).Select(d => d.Alert));
    }

    [Fact]
    public virtual void MarkFailed_counts_the_attempt_keeps_the_error_and_holds_the_row_until_its_next_attempt()
    {
        var alert = NewAlert("team-core", T0);
        Assert.True(Store.TryAdd(alert, ["https://a", "https://b"]));
        var retry = T0.AddSeconds(30).AddTicks(5);
        Store.MarkFailed(alert.Id, "https://a", retry, "HTTP 503");
        Assert.Equal([Queued(alert, "https://b")], Store.Due(retry - TimeSpan.FromTicks(1)).Select(d => d.Delivery));
        var due = Store.Due(retry).Select(d => d.Delivery).ToList();
        Assert.Equal([Queued(alert, "https://b"), new AlertDelivery(alert.Id, "https://a", 1, retry, null, "HTTP 503")], due);

        // The backoff grows with each failure: attempts count up, the latest error and time win.
        var later = retry.AddMinutes(2);
        var longError = new string('x', 700);
        Store.MarkFailed(alert.Id, "https://a", later, longError);
        var stored = Store.List().Single().Deliveries.Single(d => d.Webhook == "https://a");
        Assert.Equal(new AlertDelivery(alert.Id, "https://a", 2, later, null, new string('x', 500)), stored);
        Assert.DoesNotContain(Store.Due(later - TimeSpan.FromTicks(1)), d => d.Delivery.Webhook == "https://a");
        Assert.Contains(Store.Due(later), d => d.Delivery.Webhook == "https://a");
        // A next attempt given in another offset is the same instant.
        Store.MarkFailed(alert.Id, "https://a", later.ToOffset(TimeSpan.FromHours(3)), "again");
        Assert.Equal(later.UtcTicks, Store.List().Single().Deliveries.Single(d => d.Webhook == "https://a").NextAttemptAt.UtcTicks);
    }

    [Fact]
    public virtual void A_delivered_row_is_never_due_again_and_clears_its_error()
    {
        var alert = NewAlert("team-core", T0);
        Assert.True(Store.TryAdd(alert, ["https://a", "https://b"]));
        Store.MarkFailed(alert.Id, "https://a", T0.AddSeconds(10), "timeout");
        var at = T0.AddSeconds(12).AddTicks(3);
        Store.MarkDelivered(alert.Id, "https://a", at);
        Assert.Equal([Queued(alert, "https://b")], Store.Due(T0.AddYears(5)).Select(d => d.Delivery));
        var deliveries = Store.List().Single().Deliveries;
        Assert.Equal(new AlertDelivery(alert.Id, "https://a", 2, T0.AddSeconds(10), at, null), deliveries[0]);
        Assert.Equal(Queued(alert, "https://b"), deliveries[1]);

        Store.MarkDelivered(alert.Id, "https://b", T0);
        Assert.Empty(Store.Due(T0.AddYears(5)));
        Assert.Equal(new AlertDelivery(alert.Id, "https://b", 1, T0, T0, null), Store.List().Single().Deliveries[1]);
        // Marking a row that does not exist changes nothing.
        Store.MarkDelivered(alert.Id, "https://nowhere", T0);
        Store.MarkFailed("alr_missing", "https://a", T0, "x");
        Assert.Equal(2, Store.List().Single().Deliveries.Count);
    }

    [Fact]
    public virtual void List_is_newest_first_from_since_inclusive_and_honours_max()
    {
        var alerts = Enumerable.Range(0, 5).Select(n => NewAlert("b" + n, T0.AddHours(n))).ToList();
        // b2 has no webhook.
        foreach (var alert in alerts) Assert.True(Store.TryAdd(alert, alert.BudgetId == "b2" ? [] : ["https://h"]));
        Assert.Equal(alerts.AsEnumerable().Reverse(), Store.List().Select(a => a.Alert));
        Assert.Equal([alerts[4], alerts[3], alerts[2]], Store.List(T0.AddHours(2)).Select(a => a.Alert));
        Assert.Equal([alerts[4], alerts[3], alerts[2]], Store.List(T0.AddHours(2).ToOffset(TimeSpan.FromHours(-3))).Select(a => a.Alert));
        Assert.Equal([alerts[4], alerts[3]], Store.List(T0.AddHours(2) + TimeSpan.FromTicks(1)).Select(a => a.Alert));
        Assert.Equal([alerts[4], alerts[3]], Store.List(max: 2).Select(a => a.Alert));
        Assert.Empty(Store.List(T0.AddHours(5)));
        // Each alert carries its own deliveries only.
        var listed = Store.List();
        Assert.Empty(listed.Single(a => a.Alert.BudgetId == "b2").Deliveries);
        Assert.All(listed.Where(a => a.Alert.BudgetId != "b2"), a => Assert.Equal([Queued(a.Alert, "https://h")], a.Deliveries));
    }
}
