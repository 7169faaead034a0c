using System.Security.Claims;
using TokenOps.Gateway.Configuration;
using TokenOps.Gateway.Dashboard;
using TokenOps.Gateway.Dashboard.Sso;

namespace TokenOps.Gateway.Tests.Dashboard;

/// <summary>How a signed-in principal's groups become a dashboard role: the strongest group wins; developers need a team.</summary>
public sealed class OidcRolesTests
{
    private static readonly OidcOptions Options = new()
    {
        Authority = "https://idp.example", ClientId = "c", AdminGroups = ["admins"], FinanceGroups = ["finance"],
        LeadGroups = new() { ["payments"] = ["pay-leads"] }, DeveloperGroups = ["engineering"], TeamClaim = "team",
    };

    private static ClaimsPrincipal Who(string person, params string[] claims) => new(new ClaimsIdentity(
        new[] { new Claim("sub", "s-" + person), new Claim("preferred_username", person) }
            .Concat(claims.Select(c => c.Split('=')).Select(p => new Claim(p[0], p[1]))), "oidc"));

    private static (DashboardViewer? Viewer, string? Refusal) Map(ClaimsPrincipal p) =>
        OidcRoles.ViewerFor(p, Options, person => person == "ada" ? "search" : null, transparency: false);

    [Fact]
    public void The_strongest_group_wins_and_the_session_belongs_to_the_subject()
    {
        var admin = Map(Who("ada", "groups=engineering", "groups=admins")).Viewer!;
        Assert.Equal((DashboardRole.Admin, "oidc:s-ada"), (admin.Role, admin.Principal));
        Assert.True(admin.ReadsEverything);
        var finance = Map(Who("fi", "groups=finance", "groups=pay-leads")).Viewer!;
        Assert.Equal(DashboardRole.Finance, finance.Role);
        Assert.False(finance.IsAdmin);
        var lead = Map(Who("ada", "groups=pay-leads")).Viewer!;
        Assert.Equal((DashboardRole.TeamLead, "payments"), (lead.Role, lead.Team));
    }

    [Fact]
    public void A_developers_team_comes_from_the_people_table_else_the_team_claim()
    {
        Assert.Equal("search", Map(Who("ada", "groups=engineering", "team=other")).Viewer!.Team);
        Assert.Equal("growth", Map(Who("bo", "groups=engineering", "team=growth")).Viewer!.Team);
        Assert.Contains("does not know 'cy'", Map(Who("cy", "groups=engineering")).Refusal);
    }

    [Fact]
    public void Someone_in_no_allowed_group_or_without_a_name_is_refused()
    {
        Assert.Contains("none of the groups", Map(Who("ada", "groups=marketing")).Refusal);
        var nameless = new ClaimsPrincipal(new ClaimsIdentity([new Claim("sub", "x")], "oidc"));
        Assert.Contains("preferred_username", Map(nameless).Refusal);
    }

    [Theory]
    [InlineData("http://idp.example", true, "must be https")]
    [InlineData("not a url", false, "absolute issuer URL")]
    public void A_bad_provider_address_fails_at_start_naming_the_key(string authority, bool requireHttps, string problem)
    {
        var options = new GatewayOptions();
        options.Dashboard.Oidc = new OidcOptions { Authority = authority, ClientId = "c", RequireHttpsMetadata = requireHttps };
        var ex = Assert.Throws<ConfigurationException>(() => GatewayOptionsValidator.Validate(options, "tokenops.json", serving: false));
        Assert.Contains("dashboard.oidc.authority", ex.Message);
        Assert.Contains(problem, ex.Message);
    }
}
