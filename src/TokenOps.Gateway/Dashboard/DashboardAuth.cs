using System.Security.Cryptography;
using TokenOps.Core.Identity;
using TokenOps.Gateway.Admin;
using TokenOps.Gateway.Configuration;
using TokenOps.Storage;

namespace TokenOps.Gateway.Dashboard;

public enum DashboardRole
{
    Developer,
    TeamLead,
    Admin,
    /// <summary>Reads everything an admin reads (single sign-on's finance group); changes nothing.</summary>
    Finance,
}

/// <summary>Who is looking at the dashboard. Every API call decides what to show from this, on the server.</summary>
public sealed record DashboardViewer(DashboardRole Role, string? Person, string? Team, bool Transparency)
{
    /// <summary>The virtual key the viewer signed in with (null for the admin token and single sign-on).</summary>
    public string? KeyId { get; init; }

    /// <summary>Who holds the session when no key does: "oidc:{subject}" for single sign-on, else the admin token.</summary>
    public string? Principal { get; init; }

    public bool IsAdmin => Role == DashboardRole.Admin;

    /// <summary>Reads the whole organisation: admins and finance.</summary>
    public bool ReadsEverything => Role is DashboardRole.Admin or DashboardRole.Finance;

    /// <summary>May see a team's aggregates (own team always; any team for admins, finance or with transparency).</summary>
    public bool CanSeeTeam(string team) => ReadsEverything || Transparency || team == Team;

    /// <summary>May see one person's own rows and page.</summary>
    public bool CanSeePerson(string person, string? personTeam) =>
        ReadsEverything || Transparency || person == Person || (Role == DashboardRole.TeamLead && personTeam is not null && personTeam == Team);

    /// <summary>May see per-person rows of a team (its lead, admins, finance, or transparency).</summary>
    public bool CanSeePeopleOf(string team) => ReadsEverything || Transparency || (Role == DashboardRole.TeamLead && team == Team);
}

/// <summary>
/// Signs people in to the dashboard with a virtual key or the admin token. The browser gets an opaque random session id
/// in an HttpOnly, SameSite=Strict cookie (never the key); sessions live in the shared database (<see cref="ISessionStore"/>,
/// only the id's SHA-256 stored), so every replica behind a load balancer knows them, and expire. Scripts may instead
/// send "Authorization: Bearer …" on each call.
/// A session remembers the key that opened it and ends when that key is revoked: every use looks the session and the
/// key id up (two primary-key reads; dashboard calls are few), so a sign-out or a revocation on any replica, by the admin
/// API or by `tokenops keys revoke`, ends its sessions on every replica at the next call. Sessions are bounded per
/// principal (a key, or the admin token): a new one beyond <see cref="DashboardOptions.MaxSessionsPerPrincipal"/>, or
/// one that finds the table full, replaces that principal's oldest; a principal with none in a full table is refused.
/// One principal never signs out another.
/// </summary>
public sealed class DashboardAuth(IKeyStore keys, ISessionStore sessions, AdminToken adminToken, GatewayOptions options, TimeProvider time)
{
    public const string CookieName = "tokenops_session";
    private const string AdminPrincipal = "admin";

    private DashboardOptions Options => options.Dashboard;

    /// <summary>The viewer for a presented secret (admin token or virtual key), or null.</summary>
    public DashboardViewer? FromSecret(string? secret)
    {
        if (string.IsNullOrWhiteSpace(secret)) return null;
        secret = secret.Trim();
        if (adminToken.Matches(secret)) return new DashboardViewer(DashboardRole.Admin, null, null, true);
        if (!VirtualKeyFormat.LooksLikeKey(secret)) return null;
        var key = keys.FindBySecret(secret);
        if (key is null || key.IsRevoked) return null;
        var lead = Options.TeamLeads.TryGetValue(key.Team, out var leads) && leads.Contains(key.Person, StringComparer.Ordinal);
        return new DashboardViewer(lead ? DashboardRole.TeamLead : DashboardRole.Developer, key.Person, key.Team, Options.Transparency) { KeyId = key.Id };
    }

    public DashboardViewer? Resolve(HttpContext http)
    {
        var header = http.Request.Headers.Authorization.ToString();
        if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) return FromSecret(header[7..]);
        if (!http.Request.Cookies.TryGetValue(CookieName, out var id) || string.IsNullOrEmpty(id) || id.Length > 128) return null;
        var session = sessions.Find(Hash(id), time.GetUtcNow());
        if (session is null) return null;
        if (session.KeyId is { } keyId && keys.FindById(keyId) is not { IsRevoked: false })
        {
            EndSessionsOf(keyId);
            return null;
        }
        return new DashboardViewer(Enum.Parse<DashboardRole>(session.Role), session.Person, session.Team, session.Transparency) { KeyId = session.KeyId, Principal = session.Principal };
    }

    /// <summary>Opens a session and sets its cookie; false when the table is full of other principals' sessions.</summary>
    public bool SignIn(HttpContext http, DashboardViewer viewer)
    {
        var now = time.GetUtcNow();
        var principal = viewer.KeyId ?? viewer.Principal ?? AdminPrincipal;
        var id = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var expires = now.AddHours(Options.SessionHours);
        var stored = new StoredSession(Hash(id), principal, viewer.Role.ToString(), viewer.Person, viewer.Team, viewer.Transparency, viewer.KeyId, now, expires);
        if (!sessions.Add(stored, now, Options.MaxSessionsPerPrincipal, Options.MaxSessions)) return false;
        http.Response.Cookies.Append(CookieName, id, new CookieOptions
        {
            HttpOnly = true,
            SameSite = SameSiteMode.Strict,
            Secure = http.Request.IsHttps,
            Path = "/",
            Expires = expires,
        });
        return true;
    }

    public void SignOut(HttpContext http)
    {
        if (http.Request.Cookies.TryGetValue(CookieName, out var id) && !string.IsNullOrEmpty(id) && id.Length <= 128)
            sessions.Remove(Hash(id));
        http.Response.Cookies.Delete(CookieName, new CookieOptions { Path = "/", SameSite = SameSiteMode.Strict, HttpOnly = true });
    }

    /// <summary>Ends every session opened with this key (revocation).</summary>
    public void EndSessionsOf(string keyId) => sessions.RemovePrincipal(keyId);

    /// <summary>What is stored of a session id: its SHA-256 (the id itself is 256 random bits, so no salt is needed).</summary>
    private static string Hash(string id) => Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(id)));
}
