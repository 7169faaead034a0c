using TokenOps.Core.Identity;
using TokenOps.Core.Pricing;
using TokenOps.Gateway.Pipeline;
using TokenOps.Core.Ledger;
using TokenOps.Storage;

namespace TokenOps.Gateway.Admin;

/// <summary>The admin HTTP API: keys, people, teams and ledger reads. Every call needs the admin token.</summary>
public static class AdminEndpoints
{
    /// <summary>
    /// An /admin route group behind the admin token (constant-time check); every admin API maps into one. The token is
    /// checked by <see cref="EndpointGuard"/> before anything reads the body, and bodies are at most 1 MiB.
    /// </summary>
    public static RouteGroupBuilder MapAdminGroup(WebApplication app) =>
        app.MapGroup("/admin").WithMetadata(Guard);

    private static readonly EndpointGuard Guard = new(EndpointGuard.DefaultMaxBodyBytes, http =>
    {
        var header = http.Request.Headers.Authorization.ToString();
        var presented = header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header[7..].Trim() : null;
        var origin = http.Connection.RemoteIpAddress?.ToString() ?? "unknown";
        // A named credential: its scopes decide, whatever the shared token's state.
        if (TokenOps.Core.Identity.AdminCredentialFormat.LooksLikeCredential(presented))
            return http.RequestServices.GetRequiredService<AdminCredentials>().Check(presented!, http.Request.Method, http.Request.Path.Value ?? "", origin);
        var token = http.RequestServices.GetRequiredService<AdminToken>();
        if (!token.IsConfigured)
            return Problem(503, "admin_disabled", $"The admin API is disabled: set {token.EnvironmentVariable} to enable it, or use a named admin credential (tokenops credentials create).");
        if (!token.Matches(presented)) return Problem(401, "invalid_admin_token", "A valid admin token or admin credential is required (Authorization: Bearer …).");
        // Changes made by this request are audited under the admin token, from the caller's address.
        TokenOps.Core.Audit.AuditActor.ForRequest("admin-token", origin);
        return null;
    });

    public static void Map(WebApplication app)
    {
        var admin = MapAdminGroup(app);
        var time = app.Services.GetRequiredService<TimeProvider>();

        admin.MapGet("/keys", (IKeyStore keys) => Results.Ok(keys.List().Select(KeyView)));
        admin.MapPost("/keys", (CreateKeyRequest? body, IKeyStore keys) =>
        {
            if (body is null || string.IsNullOrWhiteSpace(body.Person) || string.IsNullOrWhiteSpace(body.Team))
                return Problem(400, "invalid_request", "Send {\"person\": \"…\", \"team\": \"…\"}.");
            // Checked before trimming: "ada\n" is refused, not quietly turned into "ada".
            if (InvalidName(("person", body.Person), ("team", body.Team)) is { } invalid) return invalid;
            ModelAllowList? models;
            try { models = ModelAllowList.Parse(body.Models); }
            catch (ArgumentException ex) { return Problem(400, "invalid_models", ex.Message, "models"); }
            if (body.ExpiresAt is { } asked && asked <= time.GetUtcNow()) return Problem(400, "invalid_expiry", "'expiresAt' must be in the future.", "expiresAt");
            try
            {
                var (key, secret) = keys.Create(body.Person.Trim(), body.Team.Trim());
                if (body.ExpiresAt is not null || models is not null) keys.SetLimits(key.Id, body.ExpiresAt, models);
                return Results.Json(new { key.Id, key.Person, key.Team, Key = secret, key.CreatedAt, body.ExpiresAt, Models = models?.ToString() }, statusCode: 201);
            }
            catch (InvalidOperationException ex)
            {
                return Problem(409, "conflict", ex.Message);
            }
        });
        // Rotation: a new secret for the same person, team and limits; the old one keeps working for the overlap.
        admin.MapPost("/keys/{id}/rotate", (string id, RotateKeyRequest? body, IKeyStore keys, AuthenticateStage auth) =>
        {
            var hours = body?.OverlapHours ?? 24;
            if (hours is < 0 or > 24 * 90) return Problem(400, "invalid_overlap", "'overlapHours' must be between 0 and 2160.", "overlapHours");
            if (keys.Rotate(id, time.GetUtcNow().AddHours(hours)) is not { } rotated) return Problem(404, "not_found", $"No active key with id '{id}'.");
            auth.Invalidate();
            return Results.Json(new { rotated.Key.Id, rotated.Key.Person, rotated.Key.Team, Key = rotated.Secret, rotated.Key.ExpiresAt, Replaces = id,
                ReplacedKeyExpiresAt = keys.FindById(id)?.ExpiresAt }, statusCode: 201);
        });
        admin.MapPost("/people/{name}/move", (string name, MoveRequest? body, IKeyStore keys, AuthenticateStage auth) =>
        {
            if (body is null || string.IsNullOrWhiteSpace(body.Team)) return Problem(400, "invalid_request", "Send {\"team\": \"…\", \"from\": \"2026-12-10\"}.");
            if (InvalidName(("team", body.Team)) is { } invalid) return invalid;
            try
            {
                keys.MoveTeam(name, body.Team.Trim(), body.From ?? time.GetUtcNow());
            }
            catch (InvalidOperationException ex)
            {
                return Problem(404, "not_found", ex.Message);
            }
            auth.Invalidate();
            return Results.Ok(new { Person = name, body.Team, From = body.From ?? time.GetUtcNow() });
        });
        admin.MapDelete("/keys/{id}", (string id, IKeyStore keys, AuthenticateStage auth, Dashboard.DashboardAuth dashboard) =>
        {
            if (!keys.Revoke(id)) return Problem(404, "not_found", $"No key with id '{id}'.");
            auth.Invalidate();
            dashboard.EndSessionsOf(id);
            return Results.NoContent();
        });
        admin.MapGet("/people", (IKeyStore keys) => Results.Ok(keys.People().Select(p => new { p.Name, p.Team })));
        admin.MapGet("/teams", (IKeyStore keys) => Results.Ok(keys.Teams()));
        admin.MapGet("/ledger", (DateTimeOffset? since, ILedgerStore ledger) =>
            Results.Ok(ledger.Read(since).Select(e => new { e.Id, e.StartedAt, e.Person, e.Team, e.Route, e.ServedModel, e.Status, e.Outcome, CostUsd = NanoUsd.ToUsd(e.CostNanos), e.Usage, e.Estimated })));
        Outcomes.OutcomeEndpoints.MapAdmin(admin);
        BudgetAdminEndpoints.Map(admin);
    }

    private static object KeyView(Core.Identity.VirtualKey k) =>
        new { k.Id, k.Person, k.Team, k.DisplayPrefix, k.CreatedAt, k.RevokedAt, k.ExpiresAt, Models = k.Models?.ToString(), k.LastUsedAt, k.RotatedTo };

    internal static IResult Problem(int status, string code, string message, string? param = null) =>
        Results.Json(param is null ? (object)new { error = new { code, message } } : new { error = new { code, message, param } }, statusCode: status);

    /// <summary>400 invalid_name naming the first field whose value is not an acceptable name (<see cref="Names"/>), or null.</summary>
    internal static IResult? InvalidName(params (string Field, string? Value)[] fields)
    {
        foreach (var (field, value) in fields)
            if (Names.Problem(value) is { } problem) return Problem(400, "invalid_name", $"{field} {problem}", field);
        return null;
    }

    public sealed record CreateKeyRequest(string? Person, string? Team, DateTimeOffset? ExpiresAt = null, string? Models = null);

    public sealed record RotateKeyRequest(double? OverlapHours);

    public sealed record MoveRequest(string? Team, DateTimeOffset? From);
}
