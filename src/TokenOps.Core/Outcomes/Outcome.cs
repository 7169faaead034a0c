namespace TokenOps.Core.Outcomes;

/// <summary>What kind of result an outcome is. Stored and printed in lower case.</summary>
public enum OutcomeType
{
    Pr,
    Ticket,
    Feature,
    Incident,
    Custom,
}

public static class OutcomeTypes
{
    public static string Name(OutcomeType type) => type.ToString().ToLowerInvariant();

    public static bool TryParse(string? value, out OutcomeType type)
    {
        type = default;
        if (string.IsNullOrWhiteSpace(value)) return false;
        switch (value.Trim().ToLowerInvariant())
        {
            case "pr" or "pull_request" or "pull-request": type = OutcomeType.Pr; return true;
            case "ticket": type = OutcomeType.Ticket; return true;
            case "feature": type = OutcomeType.Feature; return true;
            case "incident": type = OutcomeType.Incident; return true;
            case "custom": type = OutcomeType.Custom; return true;
            default: return false;
        }
    }

    public const string Accepted = "pr, ticket, feature, incident, custom";
}

/// <summary>
/// A result the organisation cares about (a merged PR, a resolved ticket, a shipped feature, a closed incident, anything
/// with a dollar value), to which AI spend is linked. Identified by <see cref="Id"/> = "source:sourceId", so the same
/// event arriving twice (a redelivered webhook) is one outcome.
/// </summary>
public sealed record Outcome
{
    /// <summary>"source:sourceId", e.g. "github-pr:acme/shop#42", "jira:PROJ-7", "linear:ENG-3", "manual:launch-q4".</summary>
    public string Id => $"{Source}:{SourceId}";
    public required string Source { get; init; }
    public required string SourceId { get; init; }
    public required OutcomeType Type { get; init; }
    public string? Title { get; init; }
    /// <summary>The TokenOps person (after the people mapping), the author or assignee.</summary>
    public string? Person { get; init; }
    public string? Team { get; init; }
    public string? Project { get; init; }
    /// <summary>"owner/name" for PRs and GitHub issues.</summary>
    public string? Repository { get; init; }
    /// <summary>The PR's head branch.</summary>
    public string? Branch { get; init; }
    /// <summary>The key a request names in X-TokenOps-Ticket / X-TokenOps-PR / X-TokenOps-Feature or a tag to attribute spend
    /// explicitly: "PROJ-7" for a ticket, "acme/shop#42" for a PR, the feature's id for a feature.</summary>
    public string? Key { get; init; }
    /// <summary>When work started (PR opened, ticket created or started); null when unknown.</summary>
    public DateTimeOffset? StartedAt { get; init; }
    /// <summary>When the outcome happened (merged, resolved, shipped).</summary>
    public required DateTimeOffset CompletedAt { get; init; }
    /// <summary>A stated dollar value; when null the value is estimated from hours saved (see <see cref="OutcomeValuation"/>).</summary>
    public decimal? ValueUsd { get; init; }
}
