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

        admin.MapGet("/keys", (IKeyStore keys) => Results.Ok(keys.List().Select(KeyView)));
        admin.MapPost("/keys", (CreateKeyRequest? body, IKeyStore keys) =>
        {
            if (body is null || string.IsNullOrWhiteSpace(body.Person) || string.IsNullOrWhiteSpace(body.Team))
                return Problem(400, "invalid_request", "Send {\"person\": \"…\", \"team\": \"…\"}.");
            // Checked before trimming: "ada\n" is refused, not quietly turned into "ada".
            if (InvalidName(("person", body.Person), ("team", body.Team)) is { } invalid) return invalid;
            try
            {
                var (key, secret) = keys.Create(body.Person.Trim(), body.Team.Trim());
                return Results.Json(new { key.Id, key.Person, key.Team, Key = secret, key.CreatedAt }, statusCode: 201);
            }
            catch (InvalidOperationException ex)
            {
                return Problem(409, "conflict", ex.Message);
            }
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

    private static object KeyView(Core.Identity.VirtualKey k) => new { k.Id, k.Person, k.Team, k.DisplayPrefix, k.CreatedAt, k.RevokedAt };

    internal static IResult Problem(int status, string code, string message, string? param = null) =>
        Results.Json(param is null ? (object)new { error = new { code, message } } : new { error = new { code, message, param } }, statusCode: status);

    /// <summary>400 invalid_name naming the first field whose value is not an acceptable name (<see cref="Names"/>), or null.</summary>
    internal static IResult? InvalidName(params (string Field, string? Value)[] fields)
    {
        foreach (var (field, value) in fields)
            if (Names.Problem(value) is { } problem) return Problem(400, "invalid_name", $"{field} {problem}", field);
        return null;
    }

    public sealed record CreateKeyRequest(string? Person, string? Team);
}
