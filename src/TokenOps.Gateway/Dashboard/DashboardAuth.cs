using System.Collections.Concurrent;
using System.Security.Cryptography;
using TokenOps.Core.Identity;
using TokenOps.Gateway.Admin;
using TokenOps.Gateway.Configuration;
using TokenOps.Storage.Sqlite;

namespace TokenOps.Gateway.Dashboard;

public enum DashboardRole
{
    Developer,
    TeamLead,
    Admin,
}

/// <summary>Who is looking at the dashboard. Every API call decides what to show from this, on the server.</summary>
public sealed record DashboardViewer(DashboardRole Role, string? Person, string? Team, bool Transparency)
{
    public bool IsAdmin => Role == DashboardRole.Admin;

    /// <summary>May see a team's aggregates (own team always; any team for admins or with transparency).</summary>
    public bool CanSeeTeam(string team) => IsAdmin || Transparency || team == Team;

    /// <summary>May see one person's own rows and page.</summary>
    public bool CanSeePerson(string person, string? personTeam) =>
        IsAdmin || Transparency || person == Person || (Role == DashboardRole.TeamLead && personTeam is not null && personTeam == Team);

    /// <summary>May see per-person rows of a team (its lead, admins, or transparency).</summary>
    public bool CanSeePeopleOf(string team) => IsAdmin || Transparency || (Role == DashboardRole.TeamLead && team == Team);
}

/// <summary>
/// Signs people in to the dashboard with a virtual key or the admin token. The browser gets an opaque random session id
/// in an HttpOnly, SameSite=Strict cookie (never the key); sessions live in memory and expire. Scripts may instead send
/// "Authorization: Bearer …" on each call.
/// </summary>
public sealed class DashboardAuth(SqliteKeyStore keys, AdminToken adminToken, GatewayOptions options, TimeProvider time)
{
    public const string CookieName = "tokenops_session";
    private const int MaxSessions = 10_000;
    private readonly ConcurrentDictionary<string, (DashboardViewer Viewer, DateTimeOffset Expires)> _sessions = new(StringComparer.Ordinal);

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
        return new DashboardViewer(lead ? DashboardRole.TeamLead : DashboardRole.Developer, key.Person, key.Team, Options.Transparency);
    }

    public DashboardViewer? Resolve(HttpContext http)
    {
        var header = http.Request.Headers.Authorization.ToString();
        if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) return FromSecret(header[7..]);
        if (http.Request.Cookies.TryGetValue(CookieName, out var id) && id is not null && _sessions.TryGetValue(id, out var s))
        {
            if (s.Expires > time.GetUtcNow()) return s.Viewer;
            _sessions.TryRemove(id, out _);
        }
        return null;
    }

    public void SignIn(HttpContext http, DashboardViewer viewer)
    {
        var now = time.GetUtcNow();
        if (_sessions.Count >= MaxSessions)
        {
            foreach (var (k, v) in _sessions) if (v.Expires <= now) _sessions.TryRemove(k, out _);
            if (_sessions.Count >= MaxSessions) _sessions.Clear();
        }
        var id = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var expires = now.AddHours(Options.SessionHours);
        _sessions[id] = (viewer, expires);
        http.Response.Cookies.Append(CookieName, id, new CookieOptions
        {
            HttpOnly = true,
            SameSite = SameSiteMode.Strict,
            Secure = http.Request.IsHttps,
            Path = "/",
            Expires = expires,
        });
    }

    public void SignOut(HttpContext http)
    {
        if (http.Request.Cookies.TryGetValue(CookieName, out var id) && id is not null) _sessions.TryRemove(id, out _);
        http.Response.Cookies.Delete(CookieName, new CookieOptions { Path = "/", SameSite = SameSiteMode.Strict, HttpOnly = true });
    }

    /// <summary>Ends every session (used when keys change through the admin API).</summary>
    public void Clear() => _sessions.Clear();
}
