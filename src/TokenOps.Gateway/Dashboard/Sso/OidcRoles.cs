using System.Security.Claims;
using TokenOps.Gateway.Configuration;

namespace TokenOps.Gateway.Dashboard.Sso;

/// <summary>
/// Who an OpenID Connect sign-in is, for the dashboard: the person from the configured claim, the role from the group
/// claim (admin, finance, lead of a team, developer; the strongest wins), the team from TokenOps' people table (else the
/// team claim). Null, with the reason, for someone the configuration gives no role, or a developer or lead without a team.
/// </summary>
public static class OidcRoles
{
    public static (DashboardViewer? Viewer, string? Refusal) ViewerFor(ClaimsPrincipal principal, OidcOptions options, Func<string, string?> teamOfPerson,
        bool transparency)
    {
        var person = principal.FindFirst(options.PersonClaim)?.Value;
        var subject = principal.FindFirst("sub")?.Value;
        if (string.IsNullOrWhiteSpace(person) || string.IsNullOrWhiteSpace(subject))
            return (null, $"The provider's token has no '{options.PersonClaim}' or 'sub' claim; TokenOps cannot tell who you are.");
        var groups = principal.FindAll(options.GroupsClaim).Select(c => c.Value).ToHashSet(StringComparer.Ordinal);
        var principalId = "oidc:" + subject;
        if (options.AdminGroups.Any(groups.Contains))
            return (new DashboardViewer(DashboardRole.Admin, person, null, true) { Principal = principalId }, null);
        if (options.FinanceGroups.Any(groups.Contains))
            return (new DashboardViewer(DashboardRole.Finance, person, null, true) { Principal = principalId }, null);
        var team = teamOfPerson(person) ?? (options.TeamClaim is { } claim ? principal.FindFirst(claim)?.Value : null);
        foreach (var (led, leadGroups) in options.LeadGroups.OrderBy(p => p.Key, StringComparer.Ordinal))
            if (leadGroups.Any(groups.Contains))
                return (new DashboardViewer(DashboardRole.TeamLead, person, led, transparency) { Principal = principalId }, null);
        if (options.DeveloperGroups.Count > 0 && !options.DeveloperGroups.Any(groups.Contains))
            return (null, $"'{person}' is in none of the groups allowed to use the TokenOps dashboard.");
        if (string.IsNullOrWhiteSpace(team))
            return (null, $"TokenOps does not know '{person}''s team: add them with 'tokenops people add' or configure dashboard.oidc.teamClaim.");
        return (new DashboardViewer(DashboardRole.Developer, person, team, transparency) { Principal = principalId }, null);
    }
}
