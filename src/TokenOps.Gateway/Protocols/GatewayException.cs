namespace TokenOps.Gateway.Protocols;

/// <summary>
/// A refusal with everything needed to answer in the client's protocol. <see cref="Kind"/> is the error class
/// (OpenAI "type"/Anthropic error type family); <see cref="Code"/> is TokenOps' stable machine-readable reason.
/// </summary>
public sealed class GatewayException(int status, string code, string message, string? param = null) : Exception(message)
{
    public int Status { get; } = status;
    public string Code { get; } = code;
    public string? Param { get; } = param;
    /// <summary>Set on budget refusals (402): written into the error body as typed fields.</summary>
    public Budgets.BudgetRefusal? Budget { get; init; }
    /// <summary>Set on rate-limit refusals (429): the limit, written into the error body as typed fields.</summary>
    public Core.RateLimits.RateLimitRefusal? RateLimit { get; init; }
    /// <summary>The ledger outcome: a refusal, unless the client itself cut the request short.</summary>
    public Core.Ledger.LedgerOutcome Outcome { get; init; } = Core.Ledger.LedgerOutcome.Refused;
    /// <summary>Sent as Retry-After, for refusals that pass on their own (the SDKs honour it when they retry).</summary>
    public int? RetryAfterSeconds { get; init; }

    public static GatewayException BadRequest(string code, string message, string? param = null) => new(400, code, message, param);
}
