using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using TokenOps.Gateway.Configuration;
using TokenOps.Storage;

namespace TokenOps.Gateway.Dashboard.Sso;

/// <summary>
/// Dashboard single sign-on with OpenID Connect (Microsoft.AspNetCore.Authentication.OpenIdConnect): authorization code
/// with PKCE, the id token checked against the provider's discovery document and keys. When the provider hands the
/// browser back, <see cref="OidcRoles"/> says who it is and <see cref="DashboardAuth"/> opens the same shared session as a
/// key sign-in would (its cookie; the provider's tokens are not kept). No authentication middleware runs: the callback
/// is an endpoint of its own, so the proxied routes pay nothing for single sign-on.
/// </summary>
public static class OidcSignIn
{
    public const string Scheme = "oidc";
    public const string LoginPath = "/api/dashboard/sso";
    public const string ClientSecretVariable = "TOKENOPS_OIDC_CLIENT_SECRET";

    /// <summary>The key WebApplication checks before adding the authentication middleware itself (ASP.NET Core's WebApplicationBuilder).</summary>
    private const string AuthenticationMiddlewareSetKey = "__AuthenticationMiddlewareSet";

    public static void Add(IServiceCollection services, DashboardOptions dashboard)
    {
        var oidc = dashboard.Oidc;
        if (!oidc.Enabled) return;
        services.AddAuthentication().AddOpenIdConnect(Scheme, o =>
        {
            o.Authority = oidc.Authority;
            o.ClientId = oidc.ClientId;
            o.ClientSecret = Environment.GetEnvironmentVariable(ClientSecretVariable) is { Length: > 0 } secret ? secret : oidc.ClientSecret;
            o.ResponseType = "code";
            o.UsePkce = true;
            // The code comes back on a top-level GET: the correlation and nonce cookies can then be SameSite=Lax.
            o.ResponseMode = "query";
            o.CallbackPath = oidc.CallbackPath;
            o.RequireHttpsMetadata = oidc.RequireHttpsMetadata;
            o.MapInboundClaims = false;
            o.SaveTokens = false;
            o.GetClaimsFromUserInfoEndpoint = false;
            o.Scope.Clear();
            foreach (var scope in oidc.Scopes) o.Scope.Add(scope);
            o.CorrelationCookie.SameSite = SameSiteMode.Lax;
            o.CorrelationCookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            o.NonceCookie.SameSite = SameSiteMode.Lax;
            o.NonceCookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            o.Events.OnTicketReceived = context =>
            {
                var http = context.HttpContext;
                var keys = http.RequestServices.GetRequiredService<IKeyStore>();
                var (viewer, refusal) = OidcRoles.ViewerFor(context.Principal!, oidc,
                    person => keys.People().FirstOrDefault(p => p.Name == person).Team, dashboard.Transparency);
                context.HandleResponse();
                if (viewer is null)
                {
                    http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(OidcSignIn)).LogWarning("Dashboard single sign-on refused: {Reason}", refusal);
                    context.Response.Redirect("/?sso_error=" + Uri.EscapeDataString(refusal!));
                    return Task.CompletedTask;
                }
                var opened = http.RequestServices.GetRequiredService<DashboardAuth>().SignIn(http, viewer);
                context.Response.Redirect(opened ? "/" : "/?sso_error=" + Uri.EscapeDataString("The dashboard has as many sessions as it keeps; try again later."));
                return Task.CompletedTask;
            };
            // A provider error or a failed check (state, nonce, PKCE, signature): back to the sign-in page, saying why.
            o.Events.OnRemoteFailure = context =>
            {
                context.HandleResponse();
                context.Response.Redirect("/?sso_error=" + Uri.EscapeDataString("Single sign-on failed: " + (context.Failure?.Message ?? "unknown error")));
                return Task.CompletedTask;
            };
        });
    }

    /// <summary>
    /// The sign-in start, and the callback as an endpoint of its own that hands the request to the OpenID Connect handler
    /// (what the authentication middleware would do, without running it for every request, nor authenticating a default
    /// scheme: the handler's own result is TokenOps' session, opened in <c>OnTicketReceived</c>).
    /// </summary>
    public static void Map(WebApplication app, DashboardOptions dashboard)
    {
        if (!dashboard.Oidc.Enabled) return;
        // WebApplication adds the authentication middleware by itself once a scheme is registered, unless the app says it
        // has placed it: it would make a handler and authenticate the default scheme on every request, the proxied ones too.
        ((IApplicationBuilder)app).Properties[AuthenticationMiddlewareSetKey] = true;
        app.MapGet(LoginPath, (HttpContext http) =>
            http.ChallengeAsync(Scheme, new AuthenticationProperties { RedirectUri = "/" }));
        app.MapGet(dashboard.Oidc.CallbackPath, async (HttpContext http) =>
        {
            var handlers = http.RequestServices.GetRequiredService<IAuthenticationHandlerProvider>();
            if (await handlers.GetHandlerAsync(http, Scheme) is IAuthenticationRequestHandler handler && await handler.HandleRequestAsync()) return;
            http.Response.Redirect("/?sso_error=" + Uri.EscapeDataString("That sign-in link is not valid; start again."));
        });
    }
}
