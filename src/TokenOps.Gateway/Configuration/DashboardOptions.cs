namespace TokenOps.Gateway.Configuration;

/// <summary>The web dashboard served at "/": who leads which team, and whether people may see each other's rows.</summary>
public sealed class DashboardOptions
{
    public bool Enabled { get; set; } = true;

    /// <summary>Team leads by team name, e.g. {"payments": ["ada"]}: they see their team's per-person rows.</summary>
    public Dictionary<string, List<string>> TeamLeads { get; set; } = new(StringComparer.Ordinal);

    /// <summary>When true every signed-in person may see every team's and person's rows (the organisation's choice).</summary>
    public bool Transparency { get; set; }

    /// <summary>How long a sign-in lasts.</summary>
    public double SessionHours { get; set; } = 8;

    /// <summary>Sessions kept in memory at most (all principals together).</summary>
    public int MaxSessions { get; set; } = 10_000;

    /// <summary>Sessions one key (or the admin token) may hold at once; a new one replaces its oldest.</summary>
    public int MaxSessionsPerPrincipal { get; set; } = 16;

    /// <summary>Single sign-on with an OpenID Connect provider (unset: virtual keys and the admin token only).</summary>
    public OidcOptions Oidc { get; set; } = new();
}

/// <summary>
/// Single sign-on for the dashboard (tokenops.json "dashboard": {"oidc": {...}}) with any OpenID Connect provider (Entra ID,
/// Okta, Google, Keycloak): authorization code with PKCE. Roles come from the provider's group claim. Virtual-key sign-in
/// stays available beside it.
/// </summary>
public sealed class OidcOptions
{
    /// <summary>The issuer URL; its discovery document is at {authority}/.well-known/openid-configuration. Unset: no SSO.</summary>
    public string? Authority { get; set; }
    public string? ClientId { get; set; }
    /// <summary>For a confidential client; better set by TOKENOPS_OIDC_CLIENT_SECRET than in the file. A public client uses PKCE alone.</summary>
    public string? ClientSecret { get; set; }
    /// <summary>What the sign-in button says: "Sign in with {DisplayName}".</summary>
    public string DisplayName { get; set; } = "single sign-on";
    public string CallbackPath { get; set; } = "/signin-oidc";
    public List<string> Scopes { get; set; } = ["openid", "profile"];
    /// <summary>The claim naming the person (the name keys and the ledger use).</summary>
    public string PersonClaim { get; set; } = "preferred_username";
    public string GroupsClaim { get; set; } = "groups";
    /// <summary>The claim naming the person's team when TokenOps' people table does not know them.</summary>
    public string? TeamClaim { get; set; }
    /// <summary>False only for a provider on loopback in tests: the discovery document must come over https otherwise.</summary>
    public bool RequireHttpsMetadata { get; set; } = true;
    /// <summary>Groups whose members are admins (see everything).</summary>
    public List<string> AdminGroups { get; set; } = [];
    /// <summary>Groups whose members are finance (read everything, change nothing).</summary>
    public List<string> FinanceGroups { get; set; } = [];
    /// <summary>Groups whose members lead a team, by team: {"payments": ["payments-leads"]}.</summary>
    public Dictionary<string, List<string>> LeadGroups { get; set; } = new(StringComparer.Ordinal);
    /// <summary>Groups whose members may sign in as developers; empty: anyone the provider signs in, with a known team.</summary>
    public List<string> DeveloperGroups { get; set; } = [];

    public bool Enabled => !string.IsNullOrWhiteSpace(Authority);
}
