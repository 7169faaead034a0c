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
    /// <summary>The body read as a multipart form, for routes that take one (<see cref="ProtocolRoute.JsonBody"/> false).</summary>
    public MultipartForm? Form { get; set; }
    public RequestFacts? Facts { get; set; }
    /// <summary>Hashes and counts of the prompt for waste detection (never its text); set by the read stage.</summary>
    public RequestFingerprint Fingerprint { get; set; } = RequestFingerprint.None;
    /// <summary>The client's session (a session header, or a Responses conversation), for the ledger row.</summary>
    public string? SessionId { get; set; }
    public ModelRoute? ModelRoute { get; set; }
    /// <summary>Set once a provider accepted the request (2xx); from then on usage is billable.</summary>
    public UsageMeter? Meter { get; set; }
    /// <summary>The budget hold taken by the admit stage; the settle stage frees it and books the actual cost.</summary>
    public TokenOps.Core.Budgets.BudgetReservation? Reservation { get; set; }
    /// <summary>What the tightest budget had left before this request (its hold not counted), for X-TokenOps-Budget-Remaining.</summary>
    public long? BudgetLeftBeforeNanos { get; set; }
    /// <summary>What budget enforcement did (degraded, clamped, warned, justified), for the ledger row.</summary>
    public string? BudgetAction { get; set; }
    public string? Justification { get; set; }

    // Savings: what TokenOps changed from the request as the client asked for it, recorded by the stage that changed it
    // and priced at settlement (SavingsCalculator), from the tokens the request actually used.
    /// <summary>The route of the model the client asked for (for <c>auto</c>, the router's baseline), once another model serves it.</summary>
    public ModelRoute? AskedRoute { get; set; }
    /// <summary>The route the router chose, when a router chose the model.</summary>
    public ModelRoute? RoutedRoute { get; set; }
    public bool Degraded { get; set; }
    public bool CacheBreakpointsAdded { get; set; }
    /// <summary>TokenOps set an OpenAI prompt_cache_key the client did not send: the cache-breakpoint lever, with no amount.</summary>
    public bool PromptCacheKeyAdded { get; set; }
    /// <summary>Output control applied (limits, reasoning ceiling), as the ledger records it; the lever "capped".</summary>
    public string? OutputControl { get; set; }
    /// <summary>The router's strong score, for the row and the X-TokenOps-Route-Score header.</summary>
    public double? RouteScore { get; set; }
    /// <summary>The router that chose the model, its rank among the router's candidates (0 = cheapest) and the session it pinned.</summary>
    public string? RouterName { get; set; }
    public int RouterRank { get; set; }
    public string? RouterSession { get; set; }
    public IReadOnlyList<string>? RouteReasons { get; set; }
    /// <summary>The row this request is an attempt for (a cascade's cheaper attempts).</summary>
    public string? ParentId { get; set; }

    /// <summary>A cascade's cheaper attempt whose answer failed its check (its row is linked to the answer's by ParentId).</summary>
    public bool WastedAttempt { get; set; }
    /// <summary>Stronger candidates that can serve the request, cheapest first, when the router cascades; empty otherwise.</summary>
    public IReadOnlyList<Routing.RoutedCandidate> CascadeCandidates { get; set; } = [];
    /// <summary>Set by a cascade: judges a non-streamed answer before it reaches the client (a failure reason, or null).</summary>
    public Func<ReadOnlyMemory<byte>, string?>? AnswerCheck { get; set; }

    public TokenOps.Core.Savings.SavingsInputs SavingsInputs =>
        new(AskedRoute?.Price, RoutedRoute?.Price, Degraded, CacheBreakpointsAdded, OutputControl is not null, WastedAttempt);

    /// <summary>
    /// This attempt as a row of its own (a new event id, linked to this request's by ParentId), holding its meter and
    /// budget hold; the request itself then starts again on a stronger model.
    /// </summary>
    public ProxyContext SplitAttempt(string attemptId, string reason)
    {
        var attempt = new ProxyContext(Http, Route, attemptId, StartedAt)
        {
            Key = Key, Attribution = Attribution, Body = Body, Form = Form, Facts = Facts, Fingerprint = Fingerprint, SessionId = SessionId, ModelRoute = ModelRoute, Meter = Meter,
            Reservation = Reservation, BudgetAction = BudgetAction, Justification = Justification, RouterName = RouterName,
            RouterRank = RouterRank, RoutedRoute = RoutedRoute, RouteScore = RouteScore, OutputControl = OutputControl,
            CacheBreakpointsAdded = CacheBreakpointsAdded, PromptCacheKeyAdded = PromptCacheKeyAdded, ParentId = EventId, WastedAttempt = true,
            Status = Status, Outcome = Outcome, ErrorCode = "cascade_escalated:" + reason,
        };
        Meter = null;
        Reservation = null;
        return attempt;
    }
    /// <summary>The response cache that answered ("exact", "semantic"), the row whose answer it reused and that row's cost (the saving).</summary>
    public string? CacheHit { get; set; }
    public string? CacheSourceId { get; set; }
    public long CacheSavedNanos { get; set; }
    /// <summary>A cacheable miss: the request as the cache lookups saw it, and the provider's answer as the forward stage relays it.</summary>
    public ResponseCache.CacheQuery? CacheQuery { get; set; }
    public ResponseCache.AnswerCapture? AnswerCapture { get; set; }
    /// <summary>The cost the ledger row records, set at settlement (what a cached copy of this answer saves).</summary>
    public long? SettledCostNanos { get; set; }
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
