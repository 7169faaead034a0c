using System.Globalization;
using TokenOps.Core.Alerts;
using TokenOps.Core.Budgets;
using TokenOps.Core.Forecasting;
using TokenOps.Core.Poker;
using TokenOps.Gateway.Admin;
using TokenOps.Gateway.Configuration;
using TokenOps.Storage;

namespace TokenOps.Gateway.Alerts;

/// <summary>
/// Services and endpoints for alerts, forecasts and token poker: GET /admin/alerts, /admin/forecasts, /admin/poker
/// (admin token) and GET /v1/tokenops/poker (any virtual key: every player sees every player).
/// </summary>
public static class AlertEndpoints
{
    /// <summary>Registers the alert engine, webhook delivery loop and poker game. IBudgetSnapshots is resolved optionally.</summary>
    public static void AddAlertsAndPoker(IServiceCollection services, GatewayOptions options)
    {
        services.AddSingleton(options.Alerts);
        services.AddSingleton(sp => new AlertEngine(sp.GetRequiredService<IAlertStore>(), sp.GetRequiredService<ISpendQueries>(),
            options.Alerts, sp.GetRequiredService<TimeProvider>(), sp.GetService<IBudgetSnapshots>()));
        services.AddSingleton(sp => new WebhookDeliverer(sp.GetRequiredService<IAlertStore>(), options.Alerts, sp.GetRequiredService<TimeProvider>(),
            new HttpClient { Timeout = WebhookDeliverer.AttemptTimeout + TimeSpan.FromSeconds(5) }, sp.GetRequiredService<ILogger<WebhookDeliverer>>()));
        services.AddSingleton(sp => new Waste.WasteDigest(sp.GetRequiredService<IAlertStore>(), sp.GetRequiredService<IWasteRowReader>(),
            sp.GetRequiredService<IKeyStore>(), sp.GetRequiredService<IOutcomeStore>(), sp.GetRequiredService<IBudgetStore>(),
            () => sp.GetRequiredService<Pipeline.ModelRouterHolder>().Current.Catalog, options, sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<Waste.WasteDigest>>()));
        services.AddHostedService<AlertService>();
        services.AddSingleton<IBudgetStatusAnnotator>(sp => new ForecastAndAlertAnnotator(
            sp.GetRequiredService<ISpendQueries>(), sp.GetRequiredService<IAlertStore>(), sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton(sp => PokerSetup.Game(options.Poker, sp.GetRequiredService<ISpendQueries>(), sp.GetServices<IPokerScoringPolicy>(), sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<PokerEndpoint>();
        if (options.Poker.Enabled)
            services.AddSingleton<IBudgetAllowance>(sp => new PokerBonusAllowance(sp.GetRequiredService<PokerGame>(), sp.GetRequiredService<TimeProvider>()));
    }

    public static void Map(WebApplication app)
    {
        // Fail at start on a bad poker configuration (unknown scoring policy or time zone), not at the first view.
        app.Services.GetRequiredService<PokerGame>();

        var admin = Admin.AdminEndpoints.MapAdminGroup(app);
        admin.MapGet("/alerts", (DateTimeOffset? since, IAlertStore store) => Results.Ok(store.List(since).Select(AlertView)));
        admin.MapGet("/forecasts", (AlertEngine engine) => Results.Ok(new
        {
            budgets = engine.Forecasts().Select(ForecastView),
            organisation_next_period = ProjectionView(engine.OrganisationNextPeriod()),
        }));
        admin.MapGet("/poker", (string? week, PokerGame game, TimeProvider time) =>
        {
            if (!TryWeek(week, game, time, out var start))
                return Problem(400, "invalid_week", $"week must be a date (YYYY-MM-DD) between 1970 and 8999, not '{week}'.");
            return Results.Ok(LeaderboardView(game.Leaderboard(start)));
        });
        app.MapGet(PokerEndpoint.PathValue, (HttpContext http, PokerEndpoint poker) => poker.InvokeAsync(http))
            .WithMetadata(new MeteredRouteAttribute(PokerEndpoint.RouteName));
    }

    /// <summary>The week holding the date YYYY-MM-DD (this week when empty), as its start in the game's time zone.</summary>
    public static bool TryWeek(string? week, PokerGame game, TimeProvider time, out DateTimeOffset start)
    {
        if (string.IsNullOrWhiteSpace(week))
        {
            start = game.WeekStart(time.GetUtcNow());
            return true;
        }
        // A week far in the past or future is refused: the leaderboard walks weeks back and forth from it.
        if (DateOnly.TryParseExact(week.Trim(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day)
            && day.Year >= Core.Reporting.ReportPeriod.Earliest.Year && day.Year < Core.Reporting.ReportPeriod.Latest.Year)
        {
            start = game.WeekStart(day);
            return true;
        }
        start = default;
        return false;
    }

    public static object AlertView(StoredAlert s) => new
    {
        id = s.Alert.Id,
        kind = s.Alert.Kind.ToString().ToLowerInvariant(),
        budget = s.Alert.BudgetId,
        level = s.Alert.Level.ToString().ToLowerInvariant(),
        name = s.Alert.Name,
        threshold = s.Alert.Threshold,
        spent_usd = s.Alert.Spent,
        limit_usd = s.Alert.Limit,
        projected_exhaustion = s.Alert.ProjectedExhaustion,
        period_start = s.Alert.PeriodStart,
        period_end = s.Alert.PeriodEnd,
        message = s.Alert.Message,
        created_at = s.Alert.CreatedAt,
        deliveries = s.Deliveries.Select(d => new { webhook = d.Webhook, attempts = d.Attempts, delivered_at = d.DeliveredAt, next_attempt_at = d.DeliveredAt is null ? d.NextAttemptAt : (DateTimeOffset?)null, last_error = d.LastError }),
    };

    public static object ForecastView(BudgetForecast f) => new
    {
        budget = f.BudgetId,
        level = f.Level.ToString().ToLowerInvariant(),
        name = f.Name,
        limit_usd = f.Limit,
        committed_usd = f.Committed,
        period_end = f.PeriodEnd,
        burn_rate_usd_per_day = Math.Round(f.Rate.MeanPerDay, 6),
        burn_rate_basis = f.Rate.Basis,
        seasonal = f.Rate.Seasonal,
        weekday_factors = f.Rate.WeekdayFactors.Select((x, i) => new { day = ((DayOfWeek)i).ToString(), factor = Math.Round(x, 4) }),
        projected_at_period_end_usd = new { low = Math.Round(f.ProjectedLow, 6), mid = Math.Round(f.Projected, 6), high = Math.Round(f.ProjectedHigh, 6) },
        exhaustion = new { earliest = f.ExhaustionEarliest, mid = f.Exhaustion, latest = f.ExhaustionLatest },
        runs_out_before_period_end = f.RunsOutBeforePeriodEnd,
    };

    public static object ProjectionView(PeriodProjection p) => new
    {
        start = p.Start,
        end = p.End,
        low_usd = Math.Round(p.Low, 6),
        mid_usd = Math.Round(p.Mid, 6),
        high_usd = Math.Round(p.High, 6),
        burn_rate_usd_per_day = Math.Round(p.Rate.MeanPerDay, 6),
        seasonal = p.Rate.Seasonal,
    };

    public static object LeaderboardView(PokerLeaderboard board) => new
    {
        week_start = board.WeekStart,
        week_end = board.WeekEnd,
        scoring = board.Scoring,
        explanation = board.Explanation,
        anonymised = board.Anonymised,
        players = board.Rows.Select(r => new
        {
            rank = r.Rank, player = r.Player, team = r.Team, hand_usd = r.Hand, spent_usd = r.Spent, left_usd = Math.Max(0m, r.Hand - r.Spent),
            requests = r.Requests, successful_requests = r.SuccessfulRequests, score = r.Score, formula = r.Formula, winner = r.Winner, you = r.You,
        }),
    };

    private static IResult Problem(int status, string code, string message) => Admin.AdminEndpoints.Problem(status, code, message);
}
