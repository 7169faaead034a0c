using System.Security.Cryptography;
using System.Text;
using TokenOps.Core.Ledger;
using TokenOps.Core.Metering;
using TokenOps.Core.Pricing;
using TokenOps.Core.Savings;
using TokenOps.Gateway.Batches;
using TokenOps.Gateway.Metering;
using TokenOps.Gateway.Pipeline;
using TokenOps.Gateway.Protocols;
using TokenOps.Gateway.Protocols.OpenAI;
using TokenOps.Gateway.Providers;
using TokenOps.Storage;

namespace TokenOps.Gateway.Responses;

/// <summary>
/// Background responses (<c>POST /v1/responses</c> with <c>background: true</c>): the provider answers at once with a
/// queued response and bills it when it ends, after the request. So the request's hold stays (for up to
/// <see cref="HoldTtl"/>) and its one ledger row is written when the response ends, with the provider's usage. A
/// background response is kept in the batch lane's store as a batch of one (protocol <see cref="BatchProtocols.BackgroundResponse"/>):
/// any replica may settle it, once (the store's claim), whether a client's GET or cancel sees it end or the
/// <see cref="BatchPoller"/> does; a restart holds it again like a running batch.
/// </summary>
public sealed class BackgroundResponses(IBatchStore store, BatchSettler settler, ILogger<BackgroundResponses> logger)
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, StreamOwner> _streaming = new(StringComparer.Ordinal);

    /// <summary>Who made a streamed background response this process is relaying, and which provider holds it.</summary>
    public sealed record StreamOwner(string Person, string Provider);

    /// <summary>
    /// Notes a streamed background response while its stream is relayed. A client that drops the stream and resumes it
    /// at once can come back before the relay has seen it go (and tracked the response): the owner is known here.
    /// </summary>
    public void StreamStarted(ProxyContext context)
    {
        if (context.Meter?.ProviderRequestId is { } id && context.Key is { } key && context.ModelRoute is { } route)
            _streaming.TryAdd(id, new StreamOwner(key.Person, route.Provider.Name));
    }

    /// <summary>Called when the request settles, after a running response was tracked in the store.</summary>
    public void StreamEnded(ProxyContext context)
    {
        if (context.Meter?.ProviderRequestId is { } id) _streaming.TryRemove(id, out _);
    }

    public StreamOwner? Streaming(string responseId) => _streaming.GetValueOrDefault(responseId);

    /// <summary>How long a background response's hold lasts unsettled (the provider keeps running it for up to a day).</summary>
    public static readonly TimeSpan HoldTtl = TimeSpan.FromHours(25);

    /// <summary>
    /// The ledger id of a background response's row when it is answered queued: derived from the response id, so every
    /// replica writes the same row (a stream cut short keeps the request's id, which the stream already sent).
    /// </summary>
    public static string RowId(string responseId) =>
        "bgr_" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(responseId)))[..32];

    /// <summary>
    /// Checked by the settle stage for every request: a background response the provider has queued or is running. A
    /// streamed one is running when its stream stopped (the client left, the connection broke) after the provider
    /// created it and before a terminal event: the provider goes on with it either way.
    /// </summary>
    public static bool IsRunning(ProxyContext context) =>
        context.Facts is { Background: true } facts && (context.Outcome == LedgerOutcome.Ok || facts.Stream)
        && context.Meter is ResponsesMeter { Running: true, ProviderRequestId: not null } && context.Key is not null && context.ModelRoute is not null;

    /// <summary>
    /// Tracks a running background response (no row yet, the hold kept): true, unless it was already tracked (then the
    /// caller settles this request's row now). Only for a context <see cref="IsRunning"/> said yes to.
    /// </summary>
    /// <param name="template">The row as the settle stage would write it now, without usage.</param>
    public bool Defer(ProxyContext context, LedgerEntry template)
    {
        var id = context.Meter!.ProviderRequestId!;
        var key = context.Key!;
        var route = context.ModelRoute!;
        // The row's id is the one the client is told in X-TokenOps-Request-Id: derived from the response id when the
        // answer has not started, the request's own once a stream has sent it.
        var started = context.Http.Response.HasStarted;
        if (!started) template = template with { Id = RowId(id) };
        var a = context.Attribution;
        var batch = new StoredBatch(id, id, BatchProtocols.BackgroundResponse, route.Provider.Name, key.Person, key.Id, key.Person, key.Team, a.Project,
            a.Feature, a.Tags, ResponsesPath, null, "queued", context.Reservation?.Nanos ?? 0, 1, context.StartedAt)
        {
            RowFacts = new BackgroundRowTemplate(template, context.SavingsInputs).Serialize(),
            HoldId = context.Reservation?.Shared?.Id,
        };
        if (!store.Add(batch))
        {
            logger.LogWarning("Background response {Id} was already tracked; settling this request's row now", id);
            return false;
        }
        if (context.Reservation is { } hold) settler.Holds[id] = hold;
        if (!started) context.Http.Response.Headers["X-TokenOps-Request-Id"] = RowId(id);
        return true;
    }

    private const string ResponsesPath = "/v1/responses";

    public static bool IsEnded(string status) => status is "completed" or "incomplete" or "failed" or "cancelled" or Gone;

    /// <summary>The status of a background response the provider no longer knows (deleted elsewhere).</summary>
    public const string Gone = "gone";

    /// <summary>
    /// The row of an ended background response, from the provider's response object: priced from its usage (web search
    /// calls included) on the model the gateway sent it to; a response that ended without usage is counted from its
    /// output text and flagged estimated; failed is a provider error, cancelled a client abort, each at what usage it
    /// reports. Everything known at submit (attribution, the model asked for, fingerprints, savings inputs) comes from
    /// the request's <see cref="BackgroundRowTemplate"/>.
    /// </summary>
    public static LedgerEntry Row(StoredBatch batch, byte[] response, ModelRouter router, TokenCounter tokens, DateTimeOffset endedAt)
    {
        var meter = new ResponsesMeter();
        meter.OnJson(response);
        var template = BackgroundRowTemplate.Parse(batch.RowFacts);
        // The model the gateway forwarded to is in the catalog; the provider's answer may name a dated snapshot of it.
        var model = template?.Row.ServedModel ?? meter.Model ?? "unknown";
        ModelRoute? route = null;
        try
        {
            route = router.Resolve(model, Dialect.OpenAI);
        }
        catch (GatewayException)
        {
            // The provider named a model the routes no longer price; the request's own model was checked at submit.
        }
        var estimated = meter.Usage is null;
        var usage = meter.Usage ?? new TokenUsage { Output = tokens.Count(model, meter.GeneratedText) };
        var price = route?.Price;
        var cost = price is null ? CostBreakdown.Zero : CostCalculator.Compute(price, usage);
        var (outcome, status, code) = meter.Status switch
        {
            "failed" => (LedgerOutcome.ProviderError, 500, "response_failed"),
            "cancelled" => (LedgerOutcome.ClientAborted, 499, "cancelled"),
            _ => (LedgerOutcome.Ok, 200, (string?)null),
        };
        return Base(batch, endedAt, template?.Row) with
        {
            RequestedModel = template?.Row.RequestedModel ?? model, ServedModel = route?.ServedModel ?? model, Usage = usage, Cost = cost,
            CostNanos = NanoUsd.FromUsd(cost.Total), // the template carries the submit's $0 as its stored integer
            CatalogVersion = route?.CatalogVersion, Estimated = estimated || price is null, Status = status, Outcome = outcome, ErrorCode = code,
            FinishReason = meter.FinishReason, ToolCallCount = meter.ToolCallCount,
            Savings = template is null ? SavingsBreakdown.Zero : SavingsCalculator.Compute(usage, price, cost, template.Savings),
        };
    }

    /// <summary>A background response the provider no longer has (deleted behind the gateway's back): a $0 row that says so.</summary>
    public static LedgerEntry GoneRow(StoredBatch batch, DateTimeOffset endedAt) => Base(batch, endedAt, BackgroundRowTemplate.Parse(batch.RowFacts)?.Row) with
    {
        Status = 404, Outcome = LedgerOutcome.ProviderError, ErrorCode = "response_not_found", Estimated = true,
        Usage = TokenUsage.Zero, Cost = CostBreakdown.Zero, CostNanos = 0, Savings = SavingsBreakdown.Zero,
    };

    /// <summary>The request-time row (or, for a response recorded without one, the batch's attribution), as of its end.</summary>
    private static LedgerEntry Base(StoredBatch batch, DateTimeOffset endedAt, LedgerEntry? template) => template is not null ? template with
    {
        EndedAt = endedAt,
        ProviderRequestId = batch.ProviderBatchId,
        LatencyMs = Math.Max(0, (endedAt - template.StartedAt).TotalMilliseconds),
        TimeToFirstTokenMs = null,
    } : new()
    {
        Id = RowId(batch.Id),
        StartedAt = batch.CreatedAt,
        EndedAt = endedAt,
        Route = "openai.responses",
        KeyId = batch.KeyId, Person = batch.Person, Team = batch.Team, Project = batch.Project, Feature = batch.Feature, Tags = batch.Tags,
        Provider = batch.Provider,
        Outcome = LedgerOutcome.Ok,
        ProviderRequestId = batch.ProviderBatchId,
        LatencyMs = Math.Max(0, (endedAt - batch.CreatedAt).TotalMilliseconds),
    };
}
