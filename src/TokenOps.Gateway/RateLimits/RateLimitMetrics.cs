using System.Diagnostics.Metrics;
using TokenOps.Core.RateLimits;
using TokenOps.Gateway.Telemetry;

namespace TokenOps.Gateway.RateLimits;

/// <summary>
/// tokenops.rate_limit.refusals: requests refused with 429, by the level of the limit (key, person, team) and its kind.
/// Names stay out of the labels (a key id or a person per series would be unbounded and personal); the ledger row
/// names the limit.
/// </summary>
public sealed class RateLimitMetrics
{
    private readonly Counter<long> _refusals;

    public RateLimitMetrics(IMeterFactory meters)
    {
        _refusals = meters.Create(GatewayTelemetry.Name).CreateCounter<long>("tokenops.rate_limit.refusals", "{request}",
            "Requests refused by a rate limit (429), by tokenops.rate_limit.level and tokenops.rate_limit.kind");
    }

    public void Refused(RateLimitRefusal refusal) => _refusals.Add(1,
        new KeyValuePair<string, object?>("tokenops.rate_limit.level", refusal.Scope[..refusal.Scope.IndexOf(':')]),
        new KeyValuePair<string, object?>("tokenops.rate_limit.kind", refusal.Kind.Name()));
}
