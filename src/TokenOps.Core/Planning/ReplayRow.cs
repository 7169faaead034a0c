using TokenOps.Core.Metering;

namespace TokenOps.Core.Planning;

/// <summary>One billed ledger row as a policy replay needs it: who, when, which model, its token buckets and its cost.</summary>
public sealed record ReplayRow(string Id, DateTimeOffset StartedAt, string? Person, string? Team, string? Project, string Model, TokenUsage Usage, long CostNanos);
