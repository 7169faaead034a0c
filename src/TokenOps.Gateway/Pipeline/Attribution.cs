namespace TokenOps.Gateway.Pipeline;

/// <summary>Who and what a request is for, beyond the key's person and team: from the X-TokenOps-* headers.</summary>
public sealed record Attribution(string? Project, string? Feature, string? Ticket, string? PullRequest, string? Tags)
{
    public static readonly Attribution None = new(null, null, null, null, null);
}
