using TokenOps.Core.Identity;
using TokenOps.Core.Outcomes;

namespace TokenOps.Gateway.Outcomes;

/// <summary>An outcome added by hand (CLI `outcomes add` or POST /admin/outcomes): features, incidents, custom outcomes with a dollar value.</summary>
public sealed record ManualOutcome(
    string? Type,
    string? Title,
    string? Person = null,
    string? Team = null,
    string? Project = null,
    string? Repository = null,
    string? Branch = null,
    string? Key = null,
    string? Id = null,
    DateTimeOffset? StartedAt = null,
    DateTimeOffset? CompletedAt = null,
    decimal? ValueUsd = null)
{
    /// <summary>Validates and builds the outcome (source "manual"); <paramref name="now"/> is the completion time when none is given.</summary>
    /// <exception cref="ArgumentException">With a message fit to show the caller.</exception>
    public Outcome ToOutcome(DateTimeOffset now)
    {
        if (!OutcomeTypes.TryParse(Type, out var type)) throw new ArgumentException($"type must be one of {OutcomeTypes.Accepted}");
        if (string.IsNullOrWhiteSpace(Title)) throw new ArgumentException("title is required");
        Check("title", Title, 500);
        foreach (var (name, value) in new[] { ("person", Person), ("team", Team), ("project", Project), ("repository", Repository), ("branch", Branch), ("key", Key), ("id", Id) })
        {
            Check(name, value, 200);
            if (name is "person" or "team" or "project") Names.Check(name, value);
        }
        if (ValueUsd is < 0) throw new ArgumentException("value_usd must not be negative");
        if (ValueUsd is > 1_000_000_000m) throw new ArgumentException("value_usd must be at most 1,000,000,000");
        var completed = CompletedAt ?? now;
        if (StartedAt is { } s && s > completed) throw new ArgumentException("started_at must not be after completed_at");
        var id = string.IsNullOrWhiteSpace(Id) ? OutcomeService.DerivedId(type, Title.Trim(), Person?.Trim(), completed) : Id.Trim();
        return new Outcome
        {
            Source = "manual", SourceId = id, Type = type, Title = Title.Trim(), Person = Trim(Person), Team = Trim(Team), Project = Trim(Project),
            Repository = Trim(Repository), Branch = Trim(Branch), Key = Trim(Key) ?? Trim(Id), StartedAt = StartedAt, CompletedAt = completed, ValueUsd = ValueUsd,
        };
    }

    private static string? Trim(string? s) => string.IsNullOrWhiteSpace(s) ? null : s.Trim();

    private static void Check(string name, string? value, int max)
    {
        if (value is not null && value.Length > max) throw new ArgumentException($"{name} is longer than {max} characters");
    }
}
