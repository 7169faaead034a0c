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
}
