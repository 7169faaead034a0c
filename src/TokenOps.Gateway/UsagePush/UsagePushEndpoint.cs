using System.Text.Json;
using TokenOps.Core.Import;
using TokenOps.Core.Ledger;
using TokenOps.Core.Pricing;
using TokenOps.Gateway.Admin;
using TokenOps.Gateway.Budgets;
using TokenOps.Gateway.Pipeline;
using TokenOps.Gateway.Protocols;
using TokenOps.Gateway.Providers;

namespace TokenOps.Gateway.UsagePush;

/// <summary>
/// <c>POST /v1/tokenops/usage</c>: a developer's own Claude Code and Codex usage, reported from their machine with their
/// virtual key (<c>tokenops import claude-code --to URL --key tok_…</c>), so one ledger holds it without every call going
/// through the gateway. Each event becomes one row attributed to the key's person and team, priced with the gateway's
/// catalog (never a price the client sends), idempotent by event id within the person, and booked on the live budget
/// counters when it is new. A bad event is reported by index and skipped; the others are kept.
/// </summary>
public static class UsagePushEndpoint
{
    public const string Path = "/v1/tokenops/usage";
    public const string RouteName = "tokenops.usage";
    private const long MaxBodyBytes = 8L * 1024 * 1024;

    public static void MapUsagePush(this WebApplication app)
    {
        var authenticate = app.Services.GetRequiredService<AuthenticateStage>();
        app.MapPost(Path, (HttpContext http, ModelRouterHolder router, ILedgerStore ledger, BudgetEngine budgets, ILoggerFactory logs) =>
                InvokeAsync(http, authenticate, router.Current.Catalog, ledger, budgets, logs.CreateLogger(typeof(UsagePushEndpoint).FullName!)))
            .WithMetadata(new EndpointGuard(MaxBodyBytes, http => Check(http, authenticate)), new UsageReportAttribute());
    }

    /// <summary>The key, from the headers alone, before the body is read: no work for an unknown caller.</summary>
    private static IResult? Check(HttpContext http, AuthenticateStage authenticate)
    {
        try
        {
            http.Items[typeof(UsagePushEndpoint)] = authenticate.Authenticate(http.Request);
            return null;
        }
        catch (GatewayException ex)
        {
            return Error(ex.Status, ex.Code, ex.Message);
        }
    }

    private static async Task<IResult> InvokeAsync(HttpContext http, AuthenticateStage authenticate, PriceCatalog catalog, ILedgerStore ledger, BudgetEngine budgets, ILogger logger)
    {
        var key = http.Items[typeof(UsagePushEndpoint)] as Core.Identity.VirtualKey ?? authenticate.Authenticate(http.Request);
        JsonDocument doc;
        try
        {
            doc = await JsonDocument.ParseAsync(http.Request.Body, new JsonDocumentOptions { AllowDuplicateProperties = false }, http.RequestAborted);
        }
        catch (JsonException)
        {
            return Error(400, "invalid_json", "The body is not valid JSON (or repeats a field): expected {\"events\": [...]}.");
        }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object || !doc.RootElement.TryGetProperty("events", out var events) || events.ValueKind != JsonValueKind.Array)
                return Error(400, "invalid_request", "Expected {\"events\": [...]}.", "events");
            if (events.GetArrayLength() > PushedUsage.MaxEvents)
                return Error(400, "too_many_events", $"At most {PushedUsage.MaxEvents} events per request; send the rest in another.", "events");
            var rejected = new List<(int Index, string? Id, string Reason)>();
            int index = -1, added = 0, duplicates = 0;
            long bookedNanos = 0;
            foreach (var element in events.EnumerateArray())
            {
                index++;
                var usage = PushedUsage.Read(element, out var error);
                if (usage is null) { rejected.Add((index, IdOf(element), error!)); continue; }
                if (!catalog.TryGet(usage.Model, out var price) || !price.IsPriced)
                {
                    rejected.Add((index, usage.Id, $"unknown model '{usage.Model}': add its price (tokenops prices update, or \"prices\" in tokenops.json)"));
                    continue;
                }
                var row = Row(usage, key, price, catalog.Version);
                if (ledger.Merge([row]) == 0) { duplicates++; continue; }
                added++;
                // New spend: the live counters see it at once, as a request through the gateway would.
                var counters = budgets.Book.CountersFor(budgets.Policies.Applicable(key.Person, key.Team, row.Project), usage.Timestamp);
                budgets.Book.Record(counters, row.CostNanos, usage.Timestamp);
                bookedNanos += row.CostNanos;
            }
            if (added > 0) logger.LogInformation("{Person} reported {Added} agent requests ({Usd} USD)", key.Person, added, NanoUsd.ToUsd(bookedNanos));
            return Results.Json(new UsagePushResult("tokenops.usage.result", index + 1, added, duplicates,
                rejected.Select(r => new UsagePushRejection(r.Index, r.Id, r.Reason)).ToList()));
        }
    }

    /// <summary>Row ids are scoped by person: one developer's event ids cannot collide with (or pre-empt) another's.</summary>
    internal static LedgerEntry Row(PushedUsage usage, Core.Identity.VirtualKey key, ModelPrice price, string? catalogVersion) => new()
    {
        Id = "up_" + Storage.Import.LedgerImporter.Hash(key.Person + "|" + usage.Id),
        StartedAt = usage.Timestamp,
        EndedAt = usage.Timestamp,
        Route = "import." + usage.Source,
        KeyId = key.Id,
        Person = key.Person,
        Team = key.Team,
        Project = usage.Project,
        Tags = usage.Tags,
        Provider = price.Provider,
        RequestedModel = usage.Model,
        ServedModel = usage.Model,
        Usage = usage.Usage,
        Cost = CostCalculator.Compute(price, usage.Usage),
        CatalogVersion = catalogVersion,
        Status = 200,
        Outcome = LedgerOutcome.Ok,
        ProviderRequestId = usage.RequestId,
        Source = usage.Source,
        SessionId = usage.SessionId,
    };

    private static string? IdOf(JsonElement e) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty("id", out var id) && id.ValueKind == JsonValueKind.String && id.GetString() is { Length: <= 128 } s ? s : null;

    private static IResult Error(int status, string code, string message, string? param = null) =>
        Results.Text(System.Text.Encoding.UTF8.GetString(ErrorBodies.Write(Dialect.OpenAI, status, code, message, param)), "application/json", System.Text.Encoding.UTF8, status);
}

/// <summary>Marks the usage report: it calls no model, and its rows are the events it carries (one per event), not the call.</summary>
[AttributeUsage(AttributeTargets.Class)]
public sealed class UsageReportAttribute : Attribute;

public sealed record UsagePushRejection(int Index, string? Id, string Reason);

public sealed record UsagePushResult(string Object, int Received, int Added, int Duplicates, IReadOnlyList<UsagePushRejection> Rejected);
