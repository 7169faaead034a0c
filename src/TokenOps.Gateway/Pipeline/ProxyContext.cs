using System.Diagnostics;
using TokenOps.Core.Identity;
using TokenOps.Core.Ledger;
using TokenOps.Gateway.Metering;
using TokenOps.Gateway.Protocols;
using TokenOps.Gateway.Providers;

namespace TokenOps.Gateway.Pipeline;

/// <summary>Everything known about one request as it moves through the stages; the ledger row is made from it.</summary>
public sealed class ProxyContext(HttpContext http, ProtocolRoute route, string eventId, DateTimeOffset startedAt) : TokenOps.Core.Budgets.IRequestLease
{
    public HttpContext Http { get; } = http;
    public ProtocolRoute Route { get; } = route;
    public string EventId { get; } = eventId;
    public DateTimeOffset StartedAt { get; } = startedAt;
    public long StartTimestamp { get; } = Stopwatch.GetTimestamp();

    public VirtualKey? Key { get; set; }
    public Attribution Attribution { get; set; } = Attribution.None;
    public byte[]? Body { get; set; }
    public RequestFacts? Facts { get; set; }
    public ModelRoute? ModelRoute { get; set; }
    /// <summary>Set once a provider accepted the request (2xx); from then on usage is billable.</summary>
    public UsageMeter? Meter { get; set; }
    /// <summary>The budget hold taken by the admit stage; the settle stage frees it and books the actual cost.</summary>
    public TokenOps.Core.Budgets.BudgetReservation? Reservation { get; set; }
    /// <summary>What budget enforcement did (degraded, clamped, warned, justified), for the ledger row.</summary>
    public string? BudgetAction { get; set; }
    public string? Justification { get; set; }
    /// <summary>The rate-limit lease taken by the rate limit stage; released once when the pipeline is done.</summary>
    public TokenOps.Core.RateLimits.RateLimitLease? RateLimitLease { get; set; }
    /// <summary>The tokens the ledger row records (input and output), set at settlement; rate limits are corrected to it.</summary>
    public long? SettledTokens { get; set; }

    public int Status { get; set; } = 200;
    public LedgerOutcome Outcome { get; set; } = LedgerOutcome.Ok;
    public string? ErrorCode { get; set; }
    public double? TimeToFirstTokenMs { get; set; }
    public bool Settled { get; set; }
    /// <summary>Set when the pipeline is done with the request, however it ended; until then its budget hold never expires.</summary>
    public bool Ended { get; set; }
    bool TokenOps.Core.Budgets.IRequestLease.IsActive => !Ended;
    /// <summary>The request's span, when something listens to the TokenOps.Gateway activity source.</summary>
    public Activity? Activity { get; set; }

    public double ElapsedMs => Stopwatch.GetElapsedTime(StartTimestamp).TotalMilliseconds;

    public void Fail(int status, LedgerOutcome outcome, string code)
    {
        Status = status;
        Outcome = outcome;
        ErrorCode = code;
    }
}
