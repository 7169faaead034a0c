using System.Globalization;
using System.Text.Json;
using TokenOps.Core.Outcomes;
using TokenOps.Core.Poker;

namespace TokenOps.Gateway.Outcomes;

/// <summary>
/// Webhooks (POST /webhooks/github, POST /webhooks/tickets) and the admin outcomes API (GET/POST /admin/outcomes,
/// GET /admin/outcomes/report). None is a proxied LLM route: nothing here is metered or reaches a provider.
/// </summary>
public static class OutcomeEndpoints
{
    public const string GitHubPath = "/webhooks/github";
    public const string TicketsPath = "/webhooks/tickets";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private const long MaxAdminBodyBytes = 64 * 1024;

    /// <summary>Registers the outcome service, its values for token poker, and the outcome-value-per-dollar scoring policy.</summary>
    public static IServiceCollection AddOutcomes(this IServiceCollection services, Configuration.OutcomeOptions options)
    {
        services.AddSingleton(sp => new OutcomeService(options, sp.GetRequiredService<Storage.IOutcomeStore>(), sp.GetRequiredService<Storage.ISpendReader>(), sp.GetRequiredService<Storage.IKeyStore>()));
        services.AddSingleton<IOutcomeValueLookup>(sp => sp.GetRequiredService<OutcomeService>());
        services.AddSingleton<IPokerScoringPolicy, OutcomeValuePerDollarPolicy>();
        return services;
    }

    /// <summary>
    /// Both webhooks sign the body, so it must be read to be verified; but before a byte of it is read, the
    /// <see cref="Admin.EndpointGuard"/> refuses a call with the webhook disabled or with no well-formed signature (or a
    /// wrong shared secret), and bounds the body by outcomes.maxWebhookBodyBytes.
    /// </summary>
    public static void MapWebhooks(WebApplication app)
    {
        var outcomes = app.Services.GetRequiredService<OutcomeService>();
        var log = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("TokenOps.Outcomes.Webhooks");
        var max = outcomes.Options.MaxWebhookBodyBytes;
        app.MapPost(GitHubPath, GitHubAsync).WithMetadata(new Admin.EndpointGuard(max, http => GitHubPrecheck(http, outcomes, log)));
        app.MapPost(TicketsPath, TicketsAsync).WithMetadata(new Admin.EndpointGuard(max, http => TicketsPrecheck(http, outcomes, log)));
    }

    private static IResult? GitHubPrecheck(HttpContext http, OutcomeService outcomes, ILogger log)
    {
        TokenOps.Core.Audit.AuditActor.ForRequest("webhook:github", http.Connection.RemoteIpAddress?.ToString() ?? "unknown");
        if (outcomes.Options.GitHubSecret() is null) return GitHubDisabled(outcomes);
        var signature = http.Request.Headers["X-Hub-Signature-256"].ToString();
        if (WebhookSignature.IsWellFormed(signature)) return null;
        log.LogWarning("GitHub webhook refused: {Reason} (delivery {Delivery}); nothing stored, body not read",
            signature.Length == 0 ? "missing X-Hub-Signature-256" : "malformed X-Hub-Signature-256", Clean(http.Request.Headers["X-GitHub-Delivery"]) ?? "-");
        return GitHubUnsigned;
    }

    private static IResult? TicketsPrecheck(HttpContext http, OutcomeService outcomes, ILogger log)
    {
        TokenOps.Core.Audit.AuditActor.ForRequest("webhook:tickets", http.Connection.RemoteIpAddress?.ToString() ?? "unknown");
        if (outcomes.Options.TicketSecret() is not { } secret) return TicketsDisabled(outcomes);
        var h = http.Request.Headers;
        if (TicketSignatureHeaders.Any(name => WebhookSignature.IsWellFormed(h[name].ToString()))) return null;
        var shared = h["X-TokenOps-Webhook-Secret"].ToString();
        if (WebhookSignature.SharedSecretMatches(secret.Reveal(), shared)) return null;
        log.LogWarning("Ticket webhook refused: {Reason}; nothing stored, body not read",
            shared.Length == 0 ? "no well-formed signature or shared-secret header" : "shared secret does not match");
        return TicketsUnsigned;
    }

    private static readonly string[] TicketSignatureHeaders = ["X-TokenOps-Signature-256", "X-Hub-Signature-256", "X-Hub-Signature", "Linear-Signature"];

    private static IResult GitHubDisabled(OutcomeService outcomes) =>
        Problem(503, "webhook_disabled", $"GitHub webhooks are disabled: set {outcomes.Options.GitHubSecretEnv} (or outcomes.gitHubSecretFile) to the webhook secret.");

    private static IResult TicketsDisabled(OutcomeService outcomes) =>
        Problem(503, "webhook_disabled", $"Ticket webhooks are disabled: set {outcomes.Options.TicketSecretEnv} (or outcomes.ticketSecretFile) to the webhook secret.");

    private static readonly IResult GitHubUnsigned =
        Problem(401, "invalid_signature", "X-Hub-Signature-256 is missing or does not match the body (HMAC-SHA256 of the body with the webhook secret).");

    private static readonly IResult TicketsUnsigned = Problem(401, "invalid_signature",
        "Sign the body with HMAC-SHA256 (X-TokenOps-Signature-256, X-Hub-Signature-256, X-Hub-Signature: sha256=<hex>; or Linear-Signature: <hex>) or send X-TokenOps-Webhook-Secret.");

    public static void MapAdmin(RouteGroupBuilder admin)
    {
        admin.MapGet("/outcomes", (string? since, string? until, string? type, OutcomeService outcomes) =>
        {
            if (!TryTime(since, out var from) || !TryTime(until, out var to))
                return Problem(400, "invalid_request", "since and until must be ISO 8601 times (2026-11-01 or 2026-11-01T09:00Z).");
            OutcomeType? only = null;
            if (type is not null)
            {
                if (!OutcomeTypes.TryParse(type, out var t)) return Problem(400, "invalid_request", $"type must be one of {OutcomeTypes.Accepted}.");
                only = t;
            }
            return Results.Json(outcomes.Store.List(from, to).Where(o => only is null || o.Type == only).Select(o => View(o, outcomes.Valuation)), Json);
        });
        admin.MapPost("/outcomes", async (HttpContext http, OutcomeService outcomes, TimeProvider time) =>
        {
            var body = await ReadBodyAsync(http, MaxAdminBodyBytes);
            if (body is null) return Problem(413, "payload_too_large", $"An outcome is at most {MaxAdminBodyBytes} bytes of JSON.");
            ManualOutcome? request;
            try
            {
                request = body.Length == 0 ? null : JsonSerializer.Deserialize<ManualOutcome>(body, Json);
            }
            catch (JsonException ex)
            {
                return Problem(400, "invalid_json", $"The body is not a valid outcome: {ex.Message}");
            }
            if (request is null) return Problem(400, "invalid_request", "Send {\"type\": \"feature\", \"title\": \"…\", \"person\": \"…\", \"valueUsd\": 1000}.");
            try
            {
                var (outcome, added) = outcomes.Record(request.ToOutcome(time.GetUtcNow()));
                return Results.Json(new { status = added ? "created" : "unchanged", outcome = View(outcome, outcomes.Valuation) }, Json, statusCode: added ? 201 : 200);
            }
            catch (ArgumentException ex)
            {
                return Problem(400, "invalid_request", ex.Message);
            }
        });
        admin.MapGet("/outcomes/report", (string? by, string? since, string? until, string? baseline_since, string? baseline_until, OutcomeService outcomes, TimeProvider time) =>
        {
            if (by is not null && !OutcomeReport.Dimensions.Contains(by))
                return Problem(400, "invalid_request", $"by must be one of {string.Join(", ", OutcomeReport.Dimensions)}.");
            if (!TryTime(since, out var from) || !TryTime(until, out var to) || !TryTime(baseline_since, out var bFrom) || !TryTime(baseline_until, out var bTo))
                return Problem(400, "invalid_request", "since, until, baseline_since and baseline_until must be ISO 8601 times (2026-11-01 or 2026-11-01T09:00Z).");
            var end = to ?? time.GetUtcNow();
            var period = new ReportPeriod(from ?? end.AddDays(-30), end);
            if (period.Since >= period.Until) return Problem(400, "invalid_request", "since must be before until.");
            ReportPeriod? baseline = null;
            if (bFrom is not null || bTo is not null)
            {
                if (bFrom is null || bTo is null || bFrom >= bTo) return Problem(400, "invalid_request", "baseline_since and baseline_until go together, since before until.");
                baseline = new ReportPeriod(bFrom.Value, bTo.Value);
            }
            return Results.Json(outcomes.Report(period, by, baseline), Json);
        });
    }

    public static object View(Outcome o, OutcomeValuation valuation)
    {
        var value = valuation.Value(o);
        return new
        {
            o.Id, Type = OutcomeTypes.Name(o.Type), o.Title, o.Person, o.Team, o.Project, o.Repository, o.Branch, o.Key,
            o.StartedAt, o.CompletedAt, o.ValueUsd, EstimatedValueUsd = value.Usd, ValueBasis = value.Basis,
        };
    }

    private static async Task<IResult> GitHubAsync(HttpContext http, OutcomeService outcomes, ILoggerFactory logs, TimeProvider time)
    {
        var log = logs.CreateLogger("TokenOps.Outcomes.Webhooks");
        var secret = outcomes.Options.GitHubSecret();
        if (secret is null) return GitHubDisabled(outcomes);
        var body = await ReadBodyAsync(http, outcomes.Options.MaxWebhookBodyBytes);
        if (body is null) return Problem(413, "payload_too_large", $"The webhook body is larger than {outcomes.Options.MaxWebhookBodyBytes} bytes.");
        var delivery = Clean(http.Request.Headers["X-GitHub-Delivery"]);
        var signature = http.Request.Headers["X-Hub-Signature-256"].ToString();
        if (!WebhookSignature.Verify(secret.Reveal(), body, signature))
        {
            log.LogWarning("GitHub webhook refused: {Reason} (delivery {Delivery}); nothing stored",
                string.IsNullOrEmpty(signature) ? "missing X-Hub-Signature-256" : "signature does not match the body", delivery ?? "-");
            return GitHubUnsigned;
        }
        var eventName = Clean(http.Request.Headers["X-GitHub-Event"]) ?? "";
        if (eventName == "ping") return Results.Json(new { status = "pong" }, Json);
        return Handle(log, outcomes, delivery is null ? null : "github:" + delivery, body, root => WebhookPayloads.GitHub(eventName, root, time.GetUtcNow()));
    }

    private static async Task<IResult> TicketsAsync(HttpContext http, OutcomeService outcomes, ILoggerFactory logs, TimeProvider time)
    {
        var log = logs.CreateLogger("TokenOps.Outcomes.Webhooks");
        var secret = outcomes.Options.TicketSecret();
        if (secret is null) return TicketsDisabled(outcomes);
        var body = await ReadBodyAsync(http, outcomes.Options.MaxWebhookBodyBytes);
        if (body is null) return Problem(413, "payload_too_large", $"The webhook body is larger than {outcomes.Options.MaxWebhookBodyBytes} bytes.");
        var h = http.Request.Headers;
        string? deliveryHeader = Clean(h["X-TokenOps-Delivery"]) ?? Clean(h["Linear-Delivery"]) ?? Clean(h["X-Atlassian-Webhook-Identifier"]) ?? Clean(h["X-GitHub-Delivery"]);
        var s = secret.Reveal();
        var signed = TicketSignatureHeaders.Select(name => h[name].ToString()).Where(v => v.Length > 0).ToList();
        var shared = h["X-TokenOps-Webhook-Secret"].ToString();
        var ok = signed.Any(v => WebhookSignature.Verify(s, body, v)) || WebhookSignature.SharedSecretMatches(s, shared);
        if (!ok)
        {
            log.LogWarning("Ticket webhook refused: {Reason} (delivery {Delivery}); nothing stored",
                signed.Count == 0 && shared.Length == 0 ? "no signature or shared-secret header" : "signature or shared secret does not match", deliveryHeader ?? "-");
            return TicketsUnsigned;
        }
        return Handle(log, outcomes, deliveryHeader is null ? null : "ticket:" + deliveryHeader, body, root => WebhookPayloads.Ticket(root, time.GetUtcNow()));
    }

    private static IResult Handle(ILogger log, OutcomeService outcomes, string? delivery, byte[] body, Func<JsonElement, WebhookEvent> parse)
    {
        if (delivery is not null && outcomes.Store.SeenDelivery(delivery))
            return Results.Json(new { status = "duplicate", delivery }, Json);
        WebhookEvent evt;
        try
        {
            using var doc = JsonDocument.Parse(body);
            evt = parse(doc.RootElement);
        }
        catch (JsonException)
        {
            return Problem(400, "invalid_json", "The webhook body is not valid JSON.");
        }
        catch (InvalidPayloadException ex)
        {
            return Problem(400, "invalid_payload", ex.Message);
        }
        if (evt.Outcome is null)
        {
            if (delivery is not null) outcomes.Store.RecordDelivery(delivery);
            return Results.Json(new { status = "ignored", reason = evt.Ignored }, Json, statusCode: 202);
        }
        var (outcome, added) = outcomes.Record(evt.Outcome, delivery);
        if (added) log.LogInformation("Outcome recorded: {Outcome}", outcome.Id);
        return Results.Json(new { status = added ? "created" : "unchanged", id = outcome.Id }, Json, statusCode: added ? 201 : 200);
    }

    /// <summary>The body, or null when it is larger than <paramref name="max"/>.</summary>
    private static async Task<byte[]?> ReadBodyAsync(HttpContext http, long max)
    {
        if (http.Request.ContentLength > max) return null;
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await http.Request.Body.ReadAsync(chunk, http.RequestAborted)) > 0)
        {
            if (buffer.Length + read > max) return null;
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }

    /// <summary>A header value safe to log and store as an id: [A-Za-z0-9._:-], at most 100 characters; else null.</summary>
    private static string? Clean(Microsoft.Extensions.Primitives.StringValues value)
    {
        var s = value.ToString().Trim();
        if (s.Length is 0 or > 100) return null;
        foreach (var c in s)
            if (!(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or ':' or '-')) return null;
        return s;
    }

    private static bool TryTime(string? value, out DateTimeOffset? time)
    {
        time = null;
        if (string.IsNullOrWhiteSpace(value)) return true;
        if (!DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var t)) return false;
        time = t;
        return true;
    }

    private static IResult Problem(int status, string code, string message) =>
        Results.Json(new { error = new { code, message } }, statusCode: status);
}
