using TokenOps.Core.Budgets;
using TokenOps.Core.Metering;
using TokenOps.Core.Pricing;
using TokenOps.Core.Reporting;
using TokenOps.Core.Savings;
using TokenOps.Gateway.Admin;
using TokenOps.Gateway.Configuration;
using TokenOps.Gateway.Pipeline;
using TokenOps.Storage;

namespace TokenOps.Gateway.Dashboard;

/// <summary>
/// The dashboard's JSON API under /api/dashboard and its static pages at "/". Aggregates come from the rollup tables,
/// the request explorer from indexed keyset pages of the ledger. Authorisation is decided here, per call, from the
/// <see cref="DashboardViewer"/>: hiding things in the browser is only presentation.
/// </summary>
public static class DashboardEndpoints
{
    public static void AddDashboard(IServiceCollection services)
    {
        services.AddSingleton<DashboardAuth>();
        // The pages other parts of TokenOps own: token poker, cost per outcome, budget alerts and forecasts.
        services.AddSingleton<IDashboardFeed, PokerDashboardFeed>();
        services.AddSingleton<IDashboardFeed, OutcomesDashboardFeed>();
        services.AddSingleton<IDashboardFeed, AlertsDashboardFeed>();
    }

    public static void Map(WebApplication app)
    {
        var options = app.Services.GetRequiredService<GatewayOptions>().Dashboard;
        if (!options.Enabled) return;
        DashboardAssets.Map(app);

        var api = app.MapGroup("/api/dashboard");
        // The secret is the body here, so the body is the credential: at most SignInBodyBytes of it is read (or none,
        // when it comes as Authorization: Bearer).
        api.MapPost("/session", async (HttpContext http, DashboardAuth auth) =>
        {
            string? secret;
            var header = http.Request.Headers.Authorization.ToString();
            if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) secret = header[7..];
            else if (!http.Request.HasJsonContentType())
                return Problem(415, "unsupported_media_type", "Send the key as JSON ({\"key\":\"tok_…\"}, Content-Type: application/json) or as Authorization: Bearer.");
            else
            {
                try { secret = (await http.Request.ReadFromJsonAsync<SignInRequest>(http.RequestAborted))?.Key; }
                catch (Exception ex) when (ex is System.Text.Json.JsonException or InvalidOperationException) { secret = null; }
            }
            var viewer = auth.FromSecret(secret);
            if (viewer is null) return Problem(401, "invalid_key", "Sign in with a TokenOps virtual key (tok_…) or the admin token.");
            return auth.SignIn(http, viewer)
                ? Results.Ok(MeView(viewer, http))
                : Problem(503, "too_many_sessions", "The dashboard has as many sessions as it keeps; sign in again later, or send Authorization: Bearer on each call.");
        }).WithMetadata(new EndpointGuard(SignInBodyBytes));
        // Answers 200 either way, so the page can ask "am I signed in?" without an error in the browser's console.
        api.MapGet("/me", (HttpContext http, DashboardAuth auth) =>
        {
            http.Response.Headers.CacheControl = "no-store";
            var viewer = auth.Resolve(http);
            var oidc = http.RequestServices.GetRequiredService<GatewayOptions>().Dashboard.Oidc;
            return viewer is null
                ? Results.Ok(new { signedIn = false, sso = oidc.Enabled ? new { name = oidc.DisplayName, url = Sso.OidcSignIn.LoginPath } : null })
                : Results.Ok(MeView(viewer, http));
        });
        api.MapDelete("/session", (HttpContext http, DashboardAuth auth) =>
        {
            auth.SignOut(http);
            return Results.NoContent();
        });

        // The viewer is resolved from the cookie or Authorization header by the guard, before any body is read.
        var read = api.MapGroup("").WithMetadata(new EndpointGuard(EndpointGuard.DefaultMaxBodyBytes, http =>
        {
            var viewer = http.RequestServices.GetRequiredService<DashboardAuth>().Resolve(http);
            if (viewer is null) return Problem(401, "unauthenticated", "Sign in first (POST /api/dashboard/session) or send Authorization: Bearer <key>.");
            http.Items[typeof(DashboardViewer)] = viewer;
            return null;
        })).AddEndpointFilter(async (ctx, next) =>
        {
            var http = ctx.HttpContext;
            http.Response.Headers.CacheControl = "no-store";
            try { return await next(ctx); }
            catch (FormatException ex) { return Problem(400, "invalid_request", ex.Message); }
        });


        read.MapGet("/overview", async (HttpContext http, IRollupQueries rollups, TimeProvider time) =>
        {
            var viewer = Viewer(http);
            var (period, filter) = Range(http, time);
            // Two reads of the organisation-level rollup: spend per bucket, and one cube folded into every breakdown.
            var hourly = IsShort(period);
            // The chart's series and the forecast read on other pooled connections while the cube is read here.
            var series = Task.Run(() => Series(rollups.Group(filter with { HourlyBuckets = hourly }, RollupDimension.Bucket), period, hourly));
            var forecast = Task.Run(() => Forecast(http, rollups, time, BudgetLevel.Organisation, null, f => f));
            var cube = rollups.Cube(filter with { HourlyBuckets = hourly }, RollupDimension.Team,
                RollupDimension.Project, RollupDimension.Model, RollupDimension.Provider);
            return Results.Ok(new
            {
                period = PeriodView(period),
                totals = Row(Rollups.Fold(cube, -1)[0]),
                series = await series,
                byTeam = Rollups.Fold(cube, 0).Select(Row),
                byProject = Rollups.Fold(cube, 1).Select(Row),
                byModel = Rollups.Fold(cube, 2).Select(Row),
                byProvider = Rollups.Fold(cube, 3).Select(Row),
                forecast = await forecast,
                canSeePeople = viewer.ReadsEverything || viewer.Transparency,
            });
        });

        read.MapGet("/team/{name}", async (string name, HttpContext http, IRollupQueries rollups, TimeProvider time) =>
        {
            var viewer = Viewer(http);
            if (!viewer.CanSeeTeam(name)) return Forbidden($"You can see your own team's page, not team '{name}'.");
            var (period, baseFilter) = Range(http, time);
            var filter = baseFilter with { Team = name };
            var hourly = IsShort(period);
            var series = Task.Run(() => Series(rollups.Group(filter with { HourlyBuckets = hourly }, RollupDimension.Bucket), period, hourly));
            var forecast = Task.Run(() => Forecast(http, rollups, time, BudgetLevel.Team, name, f => f with { Team = name }));
            var cube = rollups.Cube(filter with { HourlyBuckets = hourly }, RollupDimension.Person, RollupDimension.Project, RollupDimension.Model);
            var allPeople = Rollups.Fold(cube, 0);
            var people = viewer.CanSeePeopleOf(name) ? allPeople : allPeople.Where(r => r.Key == viewer.Person).ToList();
            return Results.Ok(new
            {
                team = name,
                period = PeriodView(period),
                totals = Row(Rollups.Fold(cube, -1)[0]),
                series = await series,
                byPerson = people.Select(Row),
                peopleHidden = !viewer.CanSeePeopleOf(name),
                peopleCount = allPeople.Count,
                byProject = Rollups.Fold(cube, 1).Select(Row),
                byModel = Rollups.Fold(cube, 2).Select(Row),
                forecast = await forecast,
            });
        });

        read.MapGet("/person/{name}", async (string name, HttpContext http, IRollupQueries rollups, IKeyStore keys, TimeProvider time) =>
        {
            var viewer = Viewer(http);
            var team = TeamOf(keys, name);
            if (!viewer.CanSeePerson(name, team)) return Forbidden($"You can see your own page, not {name}'s.");
            var (period, baseFilter) = Range(http, time);
            var filter = baseFilter with { Person = name };
            var hourly = IsShort(period);
            var series = Task.Run(() => Series(rollups.Group(filter with { HourlyBuckets = hourly }, RollupDimension.Bucket), period, hourly));
            var forecast = Task.Run(() => Forecast(http, rollups, time, BudgetLevel.Person, name, f => f with { Person = name }));
            var cube = rollups.Cube(filter with { HourlyBuckets = hourly }, RollupDimension.Project, RollupDimension.Feature, RollupDimension.Model);
            return Results.Ok(new
            {
                person = name,
                team,
                period = PeriodView(period),
                totals = Row(Rollups.Fold(cube, -1)[0]),
                series = await series,
                byProject = Rollups.Fold(cube, 0).Select(Row),
                byModel = Rollups.Fold(cube, 2).Select(Row),
                byFeature = Rollups.Fold(cube, 1).Select(Row),
                forecast = await forecast,
            });
        });

        read.MapGet("/requests", (HttpContext http, ILedgerExplorer explorer, IKeyStore keys, TimeProvider time) =>
        {
            var viewer = Viewer(http);
            var q = http.Request.Query;
            var (period, _) = Range(http, time);
            var filter = new ExplorerFilter(period.From, period.To)
            {
                Person = Opt(q["person"]), Team = Opt(q["team"]), Project = Opt(q["project"]), Model = Opt(q["model"]),
                Status = Opt(q["status"]), Cursor = Opt(q["cursor"]),
                Limit = int.TryParse(q["limit"], out var l) ? l : 100,
            };
            // Scope: a developer sees their own requests, a team lead their team's, unless the organisation chose transparency.
            if (!viewer.ReadsEverything && !viewer.Transparency)
            {
                if (filter.Person is { } p && !viewer.CanSeePerson(p, TeamOf(keys, p))) return Forbidden($"You cannot see {p}'s requests.");
                if (filter.Team is { } t && t != viewer.Team) return Forbidden($"You cannot see team '{t}' requests.");
                if (viewer.Role == DashboardRole.TeamLead) filter = filter with { Team = viewer.Team };
                else filter = filter with { Person = viewer.Person };
            }
            var (rows, next) = explorer.Page(filter);
            return Results.Ok(new
            {
                period = PeriodView(period),
                scope = new { filter.Person, filter.Team },
                rows = rows.Select(r => new
                {
                    r.Id, r.StartedAt, r.Person, r.Team, r.Project, r.Feature, r.Route, r.Provider, r.RequestedModel, r.ServedModel,
                    r.InputTokens, r.CacheReadTokens, r.OutputTokens, r.CostNanos, CostUsd = NanoUsd.ToUsd(r.CostNanos),
                    r.Status, r.Outcome, r.ErrorCode, LatencyMs = Math.Round(r.LatencyMs, 1), r.Streamed, r.Estimated, r.BudgetAction, r.Source,
                }),
                nextCursor = next,
            });
        });

        // Savings by lever (the ledger's saved_* columns) and by team and model, beside what the requests cost, and what
        // provider prompt caching saved on cache reads. Scope: admins (and transparency) see everything, a team lead the
        // team, a developer their own requests.
        read.MapGet("/savings", (HttpContext http, ISavingsQueries savings, IRollupQueries rollups, IKeyStore keys, ModelRouterHolder router, TimeProvider time) =>
        {
            var viewer = Viewer(http);
            var (period, baseFilter) = Range(http, time);
            var team = Opt(http.Request.Query["team"]);
            var person = Opt(http.Request.Query["person"]);
            if (!viewer.ReadsEverything && !viewer.Transparency)
            {
                if (person is not null && !viewer.CanSeePerson(person, TeamOf(keys, person))) return Forbidden($"You cannot see {person}'s savings.");
                if (team is not null && team != viewer.Team) return Forbidden($"You cannot see team '{team}'.");
                if (viewer.Role == DashboardRole.TeamLead) team = viewer.Team;
                else person = viewer.Person;
            }
            var filter = baseFilter with { Team = team, Person = person };
            var reports = savings.Reports(filter, SavingsDimension.Lever, SavingsDimension.Team, SavingsDimension.Model);
            var total = reports[SavingsDimension.Lever].Total;

            var catalog = router.Current.Catalog;
            var byModel = rollups.Group(filter, RollupDimension.Model);
            var cacheRows = byModel.Where(r => r.CacheReadTokens > 0).Select(r =>
            {
                var uncached = catalog.TryGet(r.Key, out var price) && price.IsPriced
                    ? NanoUsd.FromUsd(CostCalculator.Compute(price, new TokenUsage { UncachedInput = r.CacheReadTokens }).Total)
                    : r.CacheReadNanos;
                return new { model = r.Key, r.CacheHitRequests, r.CacheReadTokens, paidNanos = r.CacheReadNanos, uncachedNanos = uncached, savedNanos = uncached - r.CacheReadNanos };
            }).ToList();
            var totals = byModel.Aggregate(RollupRow.Empty("total"), Rollups.Add);
            var cacheSaved = cacheRows.Sum(c => c.savedNanos);
            return Results.Ok(new
            {
                period = PeriodView(period),
                scope = new { team, person },
                estimate = "As asked is an estimate: the same tokens priced as the client asked (the model it named, its own output limit, no cache breakpoints added).",
                totals = SavingsView(total),
                movedShare = total.Requests == 0 ? 0 : Math.Round((double)total.MovedRequests / total.Requests, 4),
                byLever = reports[SavingsDimension.Lever].Levers.Select(l => new
                {
                    lever = l.Lever, l.Requests, l.SavedNanos, savedUsd = NanoUsd.ToUsd(l.SavedNanos),
                }),
                byTeam = reports[SavingsDimension.Team].Rows.Select(SavingsView),
                byModel = reports[SavingsDimension.Model].Rows.Select(SavingsView),
                // Provider prompt caching, whoever marked the prefix: not a lever total (prompt-cache help is the cache-breakpoint lever).
                cacheHitRequests = totals.CacheHitRequests,
                cacheReadTokens = totals.CacheReadTokens,
                cacheSavedNanos = cacheSaved,
                cacheSavedUsd = NanoUsd.ToUsd(cacheSaved),
                cacheByModel = cacheRows.Select(c => new { c.model, c.CacheHitRequests, c.CacheReadTokens, c.paidNanos, c.uncachedNanos, c.savedNanos, savedUsd = NanoUsd.ToUsd(c.savedNanos) }),
            });
        });

        // Waste findings over the period (the detectors read the ledger rows, so this scans the period, not rollups).
        // Visibility without blame: a developer sees their own findings, a team lead the team's, admins (and transparency) all.
        read.MapGet("/waste", (HttpContext http, IWasteRowReader ledger, IKeyStore keys, IOutcomeStore outcomes, IBudgetStore budgets,
            ModelRouterHolder router, GatewayOptions options, TimeProvider time) =>
        {
            var viewer = Viewer(http);
            var (period, _) = Range(http, time);
            var context = Waste.WasteContextBuilder.Build(period.From, period.To, router.Current.Catalog, options.Routing, keys, outcomes, budgets);
            var findings = TokenOps.Core.Waste.WasteScanner.Run(ledger.Read(period.From, period.To), context)
                .Where(f => viewer.ReadsEverything || viewer.Transparency || f.Person == viewer.Person || (viewer.Role == DashboardRole.TeamLead && f.Team == viewer.Team))
                .ToList();
            return Results.Ok(new
            {
                period = PeriodView(period),
                scope = viewer.ReadsEverything || viewer.Transparency ? "all" : viewer.Role == DashboardRole.TeamLead ? "team:" + viewer.Team : "person:" + viewer.Person,
                totalUsd = findings.Sum(f => f.WastedUsd),
                byDetector = findings.GroupBy(f => f.Detector).Select(g => new { detector = g.Key, findings = g.Count(), wastedUsd = g.Sum(f => f.WastedUsd) })
                    .OrderByDescending(g => g.wastedUsd),
                findings = findings.Select(f => new
                {
                    detector = f.Detector, person = f.Person, team = f.Team, wasted_usd = f.WastedUsd, formula = f.Formula, fix = f.Fix,
                    subject = f.Subject, rowCount = f.Rows.Count, rows = f.Rows.Take(100),
                }),
            });
        });

        // The audit trail, newest first, for admins and finance: who changed what, when, from where, before and after, and
        // whether the hash chain still holds (it is verified over the whole trail on every call; the trail is small).
        read.MapGet("/audit", (HttpContext http, IAuditLog audit) =>
        {
            var viewer = Viewer(http);
            if (!viewer.ReadsEverything) return Forbidden("The audit trail is for admins and finance.");
            var all = audit.Read();
            var broken = TokenOps.Core.Audit.AuditChain.Verify(all);
            var action = Opt(http.Request.Query["action"]);
            var shown = all.Where(e => action is null || e.Action.StartsWith(action, StringComparison.Ordinal)).Reverse().Take(500);
            return Results.Ok(new
            {
                total = all.Count,
                chain = broken is null ? "verified" : "broken",
                brokenAt = broken?.Seq,
                brokenReason = broken?.Reason,
                head = all.Count == 0 ? null : all[^1].Hash,
                entries = shown.Select(e => new { seq = e.Seq, at = e.At, actor = e.Actor, origin = e.Origin, action = e.Action, subject = e.Subject, before = e.Before, after = e.After, hash = e.Hash }),
            });
        });

        read.MapGet("/budgets", (HttpContext http, IKeyStore keys) =>
        {
            var viewer = Viewer(http);
            var snapshots = http.RequestServices.GetService<IBudgetSnapshots>();
            if (snapshots is null) return Results.Ok(new { configured = false, budgets = Array.Empty<object>() });
            var visible = snapshots.Current().Where(b => b.Level switch
            {
                BudgetLevel.Person => viewer.CanSeePerson(b.Name, TeamOf(keys, b.Name)),
                BudgetLevel.Team => viewer.CanSeeTeam(b.Name),
                _ => true,
            });
            return Results.Ok(new { configured = true, budgets = visible.Select(BudgetView) });
        });

        // Growth and LLMflation: today's monthly spend (the viewer's scope) projected at 1x, 10x and 100x volume over the
        // horizon, with each price tier's decline (frontier held by default). ?horizon=12m&decline=10x/yr&growth=10x.
        read.MapGet("/growth", (HttpContext http, IRollupQueries rollups, ModelRouterHolder router, TimeProvider time) =>
        {
            var viewer = Viewer(http);
            var q = http.Request.Query;
            if (!Core.Forecasting.GrowthAssumptions.TryParseHorizon(Opt(q["horizon"]) ?? "12m", out var horizon))
                return Problem(400, "invalid_request", "horizon must be whole months, 1 to 120 (12m, 2y).");
            if (!Core.Forecasting.GrowthAssumptions.TryParseDecline(Opt(q["decline"]) ?? "10x/yr", out var decline))
                return Problem(400, "invalid_request", "decline must be a yearly price decline such as 10x/yr or 60%/yr.");
            if (!Core.Forecasting.GrowthAssumptions.TryParseMultiple(Opt(q["growth"]) ?? "10x", out var growth))
                return Problem(400, "invalid_request", "growth must be a positive multiple such as 10x.");
            var (team, person) = viewer.ReadsEverything || viewer.Transparency ? (null, null)
                : viewer.Role == DashboardRole.TeamLead ? (viewer.Team, (string?)null) : (null, viewer.Person);
            var now = time.GetUtcNow();
            var baseline = Planning.GrowthForecast.Baseline(rollups, now, team, person);
            var catalog = router.Current.Catalog;
            var declines = Core.Forecasting.GrowthAssumptions.Default(decline);
            Core.Forecasting.GrowthProjection Run(decimal g) => Planning.GrowthForecast.Project(baseline, new Core.Forecasting.GrowthAssumptions(g, horizon, declines), catalog);
            var chosen = Run(growth);
            var window = Planning.GrowthForecast.Window(now);
            return Results.Ok(new
            {
                scope = new { team, person },
                baselineFrom = window.From, baselineTo = window.To,
                baselineMonthlyUsd = Math.Round(chosen.BaselineUsd, 6),
                horizonMonths = horizon, growth, declinePerYear = declines.ToDictionary(d => d.Key.ToString().ToLowerInvariant(), d => d.Value),
                months = Planning.GrowthForecast.Months(now, horizon),
                scenarios = Planning.GrowthForecast.Scenarios.Append(growth).Distinct().Order().Select(g =>
                {
                    var p = Run(g);
                    return new { growth = g, monthlyUsd = p.MonthlyTotalUsd.Select(m => Math.Round(m, 6)), totalUsd = Math.Round(p.TotalUsd, 6) };
                }),
                byTeam = chosen.Lines.GroupBy(l => l.Team).Select(g => new
                {
                    team = g.Key, baselineUsd = Math.Round(g.Sum(l => l.BaselineUsd), 6),
                    monthlyUsd = Enumerable.Range(0, horizon).Select(i => Math.Round(g.Sum(l => l.MonthlyUsd[i]), 6)),
                }),
                byModel = chosen.Lines.GroupBy(l => l.Model).Select(g => new
                {
                    model = g.Key, tier = g.First().Tier.ToString().ToLowerInvariant(), baselineUsd = Math.Round(g.Sum(l => l.BaselineUsd), 6),
                    finalMonthUsd = Math.Round(g.Sum(l => l.MonthlyUsd[^1]), 6),
                }).OrderByDescending(m => m.baselineUsd),
            });
        });

        read.MapGet("/filters", (HttpContext http, IRollupQueries rollups, IKeyStore keys, TimeProvider time) =>
        {
            var viewer = Viewer(http);
            var (_, filter) = Range(http, time);
            var cube = rollups.Cube(filter, RollupDimension.Project, RollupDimension.Model);
            var people = keys.People().Where(p => viewer.CanSeePerson(p.Name, p.Team)).Select(p => p.Name).Order(StringComparer.Ordinal);
            var teams = keys.Teams().Where(viewer.CanSeeTeam);
            return Results.Ok(new
            {
                people,
                teams,
                projects = cube.Select(c => c.Keys[0]).Where(k => k.Length > 0).Distinct().Order(StringComparer.Ordinal),
                models = cube.Select(c => c.Keys[1]).Where(k => k.Length > 0).Distinct().Order(StringComparer.Ordinal),
                statuses = Enum.GetNames<Core.Ledger.LedgerOutcome>().Prepend("error"),
            });
        });

        read.MapGet("/feed/{name}", async (string name, HttpContext http) =>
        {
            var feed = http.RequestServices.GetServices<IDashboardFeed>().FirstOrDefault(f => f.Name == name);
            var data = feed is null ? null : await feed.GetAsync(Viewer(http), http.Request.Query, http.RequestAborted);
            // Not configured is a state, not an error: 200 with configured=false (the page also treats a 404 so).
            return data is null ? Results.Ok(new { configured = false, feed = name }) : Results.Ok(data);
        });
    }

    private static DashboardViewer Viewer(HttpContext http) => (DashboardViewer)http.Items[typeof(DashboardViewer)]!;

    private static object MeView(DashboardViewer v, HttpContext http)
    {
        var options = http.RequestServices.GetRequiredService<GatewayOptions>();
        return new
        {
            signedIn = true,
            role = v.Role switch { DashboardRole.Admin => "admin", DashboardRole.Finance => "finance", DashboardRole.TeamLead => "lead", _ => "developer" },
            person = v.Person,
            team = v.Team,
            transparency = options.Dashboard.Transparency,
            pokerAnonymised = options.Poker.Anonymised,
        };
    }

    private static string? Opt(Microsoft.Extensions.Primitives.StringValues v)
    {
        var s = v.ToString().Trim();
        return s.Length == 0 ? null : s;
    }

    private static string? TeamOf(IKeyStore keys, string person) =>
        keys.People().FirstOrDefault(p => p.Name == person).Team;

    private static (ReportPeriod Period, RollupFilter Filter) Range(HttpContext http, TimeProvider time)
    {
        var q = http.Request.Query;
        var spec = Opt(q["period"]) ?? "30d";
        if (!ReportPeriod.TryParse(spec, time.GetUtcNow(), out var period))
            throw new FormatException($"period: '{spec}' is not one of {ReportPeriod.Help}");
        var filter = new RollupFilter(period.From, period.To) { Project = Opt(q["project"]), Model = Opt(q["model"]) };
        return (period, filter);
    }

    private static object PeriodView(ReportPeriod p) => new { from = p.From, to = p.To, label = p.Label };

    private static RollupRow Single(IReadOnlyList<RollupRow> rows) => rows.Count > 0 ? rows[0] : RollupRow.Empty("total");

    internal static object Row(RollupRow r) => new
    {
        key = r.Key.Length == 0 ? "(none)" : r.Key,
        requests = r.Requests,
        inputTokens = r.InputTokens,
        cacheReadTokens = r.CacheReadTokens,
        outputTokens = r.OutputTokens,
        reasoningTokens = r.ReasoningTokens,
        costNanos = r.CostNanos,
        costUsd = NanoUsd.ToUsd(r.CostNanos),
        cacheHitRequests = r.CacheHitRequests,
        degradedRequests = r.DegradedRequests,
        errorRequests = r.ErrorRequests,
    };

    private static object SavingsView(SavingsRow r) => new
    {
        key = r.Key.Length == 0 ? "(none)" : r.Key,
        requests = r.Requests,
        leveredRequests = r.LeveredRequests,
        movedRequests = r.MovedRequests,
        costNanos = r.CostNanos,
        asAskedNanos = r.AsAskedNanos,
        savedNanos = r.SavedNanos,
        savedUsd = NanoUsd.ToUsd(r.SavedNanos),
        saved = SavingsLevers.All.ToDictionary(l => l, r.Saved.Of),
    };

    /// <summary>Ranges of two days or less are charted by the hour, longer ones by the day.</summary>
    private static bool IsShort(ReportPeriod period) => (period.To - period.From) <= TimeSpan.FromDays(2);

    /// <summary>Spend per bucket over the whole period, empty buckets filled with zero.</summary>
    private static List<object> Series(IReadOnlyList<RollupRow> buckets, ReportPeriod period, bool hourly)
    {
        var rows = buckets.ToDictionary(r => r.Key, StringComparer.Ordinal);
        var step = hourly ? TimeSpan.FromHours(1) : TimeSpan.FromDays(1);
        var list = new List<object>();
        for (var t = period.From; t < period.To && list.Count < 2000; t += step)
        {
            var key = Rollups.BucketOf(t, !hourly);
            var r = rows.GetValueOrDefault(key) ?? RollupRow.Empty(key);
            list.Add(new { bucket = key, start = t, requests = r.Requests, costNanos = r.CostNanos, costUsd = NanoUsd.ToUsd(r.CostNanos) });
        }
        return list;
    }

    /// <summary>
    /// Spend so far in the budget period (the matching budget's period when one is configured, else the calendar month)
    /// projected in a straight line to the period's end, against the budget's limit.
    /// </summary>
    private static object Forecast(HttpContext http, IRollupQueries rollups, TimeProvider time, BudgetLevel level, string? name, Func<RollupFilter, RollupFilter> scope)
    {
        var now = time.GetUtcNow();
        var budget = http.RequestServices.GetService<IBudgetSnapshots>()?.Current()
            .FirstOrDefault(b => b.Level == level && (level == BudgetLevel.Organisation || b.Name == name));
        var start = budget?.PeriodStart ?? new DateTimeOffset(now.Year, now.Month, 1, 0, 0, 0, TimeSpan.Zero);
        var end = budget?.PeriodEnd ?? start.AddMonths(1);
        // Whole days read the daily rollup: from the period's first day to the end of today (nothing is later than now).
        var from = new DateTimeOffset(start.UtcDateTime.Date, TimeSpan.Zero);
        var to = new DateTimeOffset(now.UtcDateTime.Date.AddDays(1), TimeSpan.Zero);
        var spent = rollups.Total(scope(new RollupFilter(from, to))).CostNanos;
        var projected = ReportPeriod.Forecast(spent, start, end, now);
        return new
        {
            periodStart = start,
            periodEnd = end,
            spentNanos = spent,
            spentUsd = NanoUsd.ToUsd(spent),
            projectedNanos = projected,
            projectedUsd = projected is { } p ? NanoUsd.ToUsd(p) : (decimal?)null,
            budget = budget is null ? null : BudgetView(budget),
        };
    }

    private static object BudgetView(BudgetSnapshot b) => new
    {
        b.BudgetId, level = b.Level.ToString().ToLowerInvariant(), b.Name, limitUsd = b.Limit, spentUsd = b.Spent, reservedUsd = b.Reserved,
        remainingUsd = b.Remaining, b.PeriodStart, b.PeriodEnd, b.Hard,
    };

    private static IResult Forbidden(string message) => Problem(403, "forbidden", message);

    private static IResult Problem(int status, string code, string message) =>
        Results.Json(new { error = new { code, message } }, statusCode: status);

    public sealed record SignInRequest(string? Key);

    /// <summary>The largest sign-in body read: a key or the admin token in a small JSON object.</summary>
    public const long SignInBodyBytes = 16 * 1024;
}
