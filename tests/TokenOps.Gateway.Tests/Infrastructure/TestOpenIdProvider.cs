using System.Collections.Concurrent;
using System.Net;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace TokenOps.Gateway.Tests.Infrastructure;

/// <summary>
/// A throwaway OpenID Connect provider on loopback, for sign-in tests: a discovery document, a JWKS with one RSA key,
/// an authorize page listing its users (a person picks one, as at a real provider's login), and a token endpoint that
/// checks the PKCE verifier against the challenge and signs an RS256 id token with the nonce, the person and their groups.
/// Everything it was asked is kept, so tests can assert what the client did (PKCE, nonce, client id).
/// </summary>
public sealed class TestOpenIdProvider : IAsyncDisposable
{
    public const string ClientId = "tokenops-dashboard";
    private readonly WebApplication _app;
    private readonly RsaSecurityKey _key = new(RSA.Create(2048)) { KeyId = "test-key-1" };
    private readonly ConcurrentDictionary<string, Grant> _codes = new();

    /// <summary>The people who can sign in, with their groups.</summary>
    public Dictionary<string, string[]> Users { get; } = new(StringComparer.Ordinal);

    /// <summary>Token requests whose code_verifier matched the authorization request's S256 challenge.</summary>
    public int PkceVerified;

    /// <summary>Token requests refused (bad code, verifier, client or redirect).</summary>
    public int Refused;

    public Uri Issuer { get; private set; } = null!;

    private sealed record Grant(string User, string ClientId, string RedirectUri, string Nonce, string Challenge);

    private TestOpenIdProvider(WebApplication app) => _app = app;

    public static async Task<TestOpenIdProvider> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var provider = new TestOpenIdProvider(app);
        provider.Map(app);
        await app.StartAsync();
        provider.Issuer = new Uri(Gateway.GatewayHost.BoundAddress(app).TrimEnd('/'));
        return provider;
    }

    private void Map(WebApplication app)
    {
        app.MapGet("/.well-known/openid-configuration", () => Results.Json(new Dictionary<string, object>
        {
            ["issuer"] = Issuer.ToString().TrimEnd('/'),
            ["authorization_endpoint"] = Url("/authorize"),
            ["token_endpoint"] = Url("/token"),
            ["jwks_uri"] = Url("/jwks"),
            ["response_types_supported"] = new[] { "code" },
            ["subject_types_supported"] = new[] { "public" },
            ["id_token_signing_alg_values_supported"] = new[] { "RS256" },
            ["code_challenge_methods_supported"] = new[] { "S256" },
        }));
        app.MapGet("/jwks", () =>
        {
            var jwk = JsonWebKeyConverter.ConvertFromRSASecurityKey(_key);
            return Results.Json(new { keys = new[] { new { kty = jwk.Kty, kid = jwk.Kid, use = "sig", alg = "RS256", n = jwk.N, e = jwk.E } } });
        });
        // The login page: one button per user; the form carries the authorization request on.
        app.MapGet("/authorize", (HttpContext http) =>
        {
            var q = http.Request.Query;
            if (q["response_type"] != "code" || q["code_challenge_method"] != "S256" || string.IsNullOrEmpty(q["code_challenge"]))
                return Results.BadRequest("authorization code with PKCE (S256) only");
            var hidden = string.Concat(new[] { "client_id", "redirect_uri", "state", "nonce", "code_challenge" }
                .Select(n => $"<input type=\"hidden\" name=\"{n}\" value=\"{WebUtility.HtmlEncode(q[n].ToString())}\">"));
            var buttons = string.Concat(Users.Keys.Select(u => $"<button type=\"submit\" name=\"user\" value=\"{WebUtility.HtmlEncode(u)}\">{WebUtility.HtmlEncode(u)}</button>"));
            return Results.Content($"<!doctype html><title>Test IdP</title><h1>Test IdP</h1><form method=\"post\" action=\"/authorize\">{hidden}{buttons}</form>", "text/html");
        });
        app.MapPost("/authorize", async (HttpContext http) =>
        {
            var form = await http.Request.ReadFormAsync();
            var user = form["user"].ToString();
            if (!Users.ContainsKey(user)) return Results.BadRequest("unknown user");
            var code = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
            _codes[code] = new Grant(user, form["client_id"]!, form["redirect_uri"]!, form["nonce"]!, form["code_challenge"]!);
            var redirect = $"{form["redirect_uri"]}?code={code}&state={Uri.EscapeDataString(form["state"].ToString())}";
            return Results.Redirect(redirect);
        });
        app.MapPost("/token", async (HttpContext http) =>
        {
            var form = await http.Request.ReadFormAsync();
            if (form["grant_type"] != "authorization_code" || !_codes.TryRemove(form["code"].ToString(), out var grant)
                || form["client_id"] != grant.ClientId || form["redirect_uri"] != grant.RedirectUri)
            {
                Interlocked.Increment(ref Refused);
                return Results.Json(new { error = "invalid_grant" }, statusCode: 400);
            }
            var verifier = form["code_verifier"].ToString();
            var challenge = Base64UrlEncoder.Encode(SHA256.HashData(Encoding.ASCII.GetBytes(verifier)));
            if (verifier.Length < 43 || challenge != grant.Challenge)
            {
                Interlocked.Increment(ref Refused);
                return Results.Json(new { error = "invalid_grant", error_description = "PKCE verification failed" }, statusCode: 400);
            }
            Interlocked.Increment(ref PkceVerified);
            var claims = new Dictionary<string, object>
            {
                ["sub"] = "sub-" + grant.User,
                ["nonce"] = grant.Nonce,
                ["preferred_username"] = grant.User,
                ["groups"] = Users[grant.User],
            };
            var idToken = new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
            {
                Issuer = Issuer.ToString().TrimEnd('/'),
                Audience = grant.ClientId,
                Claims = claims,
                IssuedAt = DateTime.UtcNow,
                NotBefore = DateTime.UtcNow.AddSeconds(-5),
                Expires = DateTime.UtcNow.AddMinutes(5),
                SigningCredentials = new SigningCredentials(_key, SecurityAlgorithms.RsaSha256),
            });
            return Results.Json(new { access_token = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)), token_type = "Bearer", expires_in = 300, id_token = idToken });
        });
    }

    private string Url(string path) => Issuer.ToString().TrimEnd('/') + path;

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
