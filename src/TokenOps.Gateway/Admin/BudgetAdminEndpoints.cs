using TokenOps.Core.Budgets;
using TokenOps.Core.Pricing;
using TokenOps.Gateway.Budgets;
using TokenOps.Gateway.Configuration;
using TokenOps.Storage;

namespace TokenOps.Gateway.Admin;

/// <summary>GET/PUT /admin/budgets, GET/DELETE /admin/budgets/{id}, GET /admin/status?person=|team= (admin token required, like the rest).</summary>
internal static class BudgetAdminEndpoints
{
    public static void Map(RouteGroupBuilder admin)
    {
        admin.MapGet("/budgets", (BudgetEngine engine, IBudgetStore store) =>
        {
            var stored = store.List().Select(b => b.Id).ToHashSet(StringComparer.Ordinal);
            return Results.Ok(engine.Policies.Configured.OrderBy(p => p.Id, StringComparer.Ordinal).Select(p => View(p, stored.Contains(p.Id) ? "stored" : "config")));
        });
        admin.MapGet("/budgets/{id}", (string id, BudgetEngine engine, TimeProvider time) =>
        {
            var policy = engine.Policies.Find(id);
            if (policy is null) return AdminEndpoints.Problem(404, "not_found", $"No budget with id '{id}'.");
            var snapshot = engine.Book.Snapshot(engine.Book.CounterFor(policy, time.GetUtcNow()), time.GetUtcNow());
            return Results.Ok(new { Budget = View(policy, null), Current = snapshot, snapshot.Remaining });
        });
        admin.MapPut("/budgets", (BudgetRequest? body, BudgetEngine engine, IBudgetStore store, GatewayOptions options) =>
        {
            if (body is null) return AdminEndpoints.Problem(400, "invalid_request", "Send {\"level\": \"person\", \"name\": \"…\", \"limitUsd\": 10, \"period\": \"monthly\", \"mode\": \"hard\"}.");
            if (AdminEndpoints.InvalidName(("name", body.Name)) is { } invalid) return invalid;
            try
            {
                var stored = StoredBudgets.From(body.Level, body.Name, new BudgetOptions
                {
                    LimitUsd = body.LimitUsd, Period = body.Period ?? "monthly", Mode = body.Mode ?? "hard", SoftAction = body.SoftAction ?? "warn",
                    Rollover = body.RolloverCeilingUsd is not null, RolloverCeilingUsd = body.RolloverCeilingUsd ?? 0, TimeZone = body.TimeZone,
                }, options.Budgets.TimeZone);
                store.Set(stored);
                engine.RefreshIfChanged();
                return Results.Ok(View(engine.Policies.Find(stored.Id)!, "stored"));
            }
            catch (ConfigurationException ex)
            {
                return AdminEndpoints.Problem(400, "invalid_budget", ex.Message);
            }
        });
        admin.MapDelete("/budgets/{id}", (string id, BudgetEngine engine, IBudgetStore store) =>
        {
            if (!store.Delete(id)) return AdminEndpoints.Problem(404, "not_found", $"No stored budget with id '{id}' (budgets from tokenops.json are changed there).");
            engine.RefreshIfChanged();
            return Results.NoContent();
        });
        admin.MapGet("/status", (string? person, string? team, BudgetEngine engine, IKeyStore keys, TimeProvider time, IEnumerable<IBudgetStatusAnnotator> annotators) =>
        {
            if (person is not null) team = keys.People().FirstOrDefault(p => p.Name == person).Team;
            return Results.Ok(BudgetStatus.Lines(engine.Book, person, team, time.GetUtcNow(), annotators));
        });
    }

    private static object View(BudgetPolicy p, string? source) => new
    {
        p.Id, Level = p.Level.ToString().ToLowerInvariant(), p.Name, LimitUsd = p.Limit, Period = p.Period.ToString(), TimeZone = p.Period.TimeZone.Id,
        Mode = p.Hard ? "hard" : "soft", SoftAction = BudgetPolicyBuilder.Format(p.SoftAction),
        Rollover = p.Rollover.Enabled, RolloverCeilingUsd = p.Rollover.Enabled ? p.Rollover.Ceiling : (decimal?)null, Source = source,
    };

    public sealed record BudgetRequest(string? Level, string? Name, decimal LimitUsd, string? Period, string? Mode, string? SoftAction,
        decimal? RolloverCeilingUsd, string? TimeZone);
}
