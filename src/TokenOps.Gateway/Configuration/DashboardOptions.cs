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
}
