using TokenOps.Core.Ledger;
using TokenOps.Gateway.Protocols;
using TokenOps.Gateway.Providers;
using TokenOps.Gateway.Telemetry;

namespace TokenOps.Gateway.Pipeline;

/// <summary>
/// The one pipeline every proxied route runs through. The order, and why:
///  1. authenticate: nothing is read or forwarded for an unknown caller;
///  2. attribute: project/feature/ticket/PR/tags, so even refusals are attributed;
///  2b. ledger available: a request the journal could not record is refused (503) before the body is read, and long
///     before anything reaches the provider;
///  3. read: a bounded body, valid JSON, the route's own fields checked (400 before anything costs money);
///  4. route: model to provider and price; an unpriced model is refused here. For <c>model: "auto"</c> the router stage
///     chooses the model first (candidates that can serve the request, the scorer, the dial, the session's pin), so
///     rate limits and budgets (4b, 5) see the model that will serve;
///  4a. output control: the caller's output limit (a default when the request sets none, a cap) and reasoning ceiling are
///     written into the body; it needs the route, the caller's team and tier (1) and the model's own output limit (4), and
///     runs before 4b and 5 so that rate limits and reservations size the request from the limit the provider will obey;
///  4c. response cache: a request identical to an earlier one in the same tenant scope (the key is the canonical request
///     with the model that serves, after 4, and the output limit of 4a) is answered from the stored answer, in the client's
///     protocol, JSON or SSE; before 4b and 5, so a hit is not rate-limited by tokens, reserves nothing and costs nothing
///     (its row, cost 0, records the saving). A cacheable miss goes on and its answer is stored after 6 when it came back whole;
///  4b. rate limits: the key's, person's and team's requests and tokens per minute and requests in flight, or 429 with
///     Retry-After; tokens are the reservation estimate, so it needs the body (3) and the model (4), and runs before 5 so
///     a refused request reserves no budget. Its lease is released in the finally, once, however the request ended;
///  4-. key allow-list: the key's models (KeyModelPolicy) on the model asked for and the one that serves; again after 5,
///     whose degrade may change the model;
///  5. admit: tier model allow-list, soft caps (warn, degrade, require a justification), then reserve the worst case
///     against every budget the request falls under, or refuse with 402; it needs the person (1), the project (2),
///     max_tokens (3) and the price (4), and must precede 6. The response cache (4c) goes before it: hits reserve nothing;
///  5b. prompt-cache help: Anthropic breakpoints or an OpenAI prompt_cache_key, for the teams and routes that turn it on;
///     after 5, so it sees the model that serves (a degrade changes the minimum cacheable length); it changes no token
///     count, so the reservation stands;
///  6. forward + meter: relay the provider's answer while the meter reads usage from it; a cascading router judges a
///     cheaper model's non-streamed answer first and, when it fails, books that attempt on its own row and goes again
///     to a stronger model (admitted anew);
///  7. settle: exactly one ledger row, in a finally, so every exit path (refusal, provider error, timeout,
///     client abort, broken stream) is recorded.
/// </summary>
public sealed class GatewayPipeline(
    AuthenticateStage authenticate,
    AttributeStage attribute,
    LedgerAvailabilityStage ledgerAvailable,
    ReadRequestStage read,
    ModelRouterHolder router,
    Routing.RouterStage autoRouter,
    OutputControlStage outputControl,
    ResponseCache.ResponseCacheStage responseCache,
    RateLimitStage rateLimit,
    AdmitStage admit,
    PromptCacheStage promptCache,
    Routing.CascadeStage forward,
    SettleStage settle,
    TimeProvider time,
    ILogger<GatewayPipeline> logger)
{
    public async Task InvokeAsync(HttpContext http, ProtocolRoute route)
    {
        var context = new ProxyContext(http, route, NewEventId(), time.GetUtcNow()) { Activity = GatewayTelemetry.StartRequest(route, http) };
        try
        {
            authenticate.Run(context);
            attribute.Run(context);
            ledgerAvailable.Run(context);
            await read.RunAsync(context);
            if (!await autoRouter.TryRouteAsync(context)) context.ModelRoute = router.Current.Resolve(context.Facts!.Model, route.Dialect, context.Facts.PriceVariant, context.Facts.UnitBound is not null);
            Keys.KeyModelPolicy.Check(context);
            outputControl.Run(context);
            if (await responseCache.TryAnswerAsync(context)) return;
            await rateLimit.RunAsync(context);
            await admit.RunAsync(context);
            // A degrade chose another model: the key's allow-list holds for it too (the hold is freed at settlement).
            Keys.KeyModelPolicy.Check(context);
            promptCache.Run(context);
            await forward.RunAsync(context);
            await responseCache.RememberAsync(context);
            await autoRouter.AfterAnswerAsync(context);
        }
        catch (GatewayException ex)
        {
            context.Fail(ex.Status, ex.Outcome, ex.Code);
            await WriteErrorAsync(context, ex.Status, ex.Code, ex.Message, ex.Param, ex.Budget, ex.RetryAfterSeconds, ex.RateLimit);
        }
        catch (UpstreamFailure ex)
        {
            context.Fail(ex.Status, ex.Outcome, ex.Code);
            await WriteErrorAsync(context, ex.Status, ex.Code, ex.Message, null);
        }
        catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
        {
            context.Fail(499, LedgerOutcome.ClientAborted, "client_aborted");
        }
        catch (Exception ex) when (http.RequestAborted.IsCancellationRequested)
        {
            logger.LogDebug(ex, "Client went away during {Route}", route.Name);
            context.Fail(499, LedgerOutcome.ClientAborted, "client_aborted");
        }
        catch (Exception ex)
        {
            // A bug of ours: still one row, still an answer in the client's protocol.
            logger.LogError(ex, "Unexpected failure in {Route} for event {EventId}", route.Name, context.EventId);
            context.Fail(500, LedgerOutcome.ProviderError, "gateway_error");
            await WriteErrorAsync(context, 500, "gateway_error", "TokenOps failed to handle this request; it was recorded.", null);
        }
        finally
        {
            if (context.Outcome == LedgerOutcome.Ok && http.RequestAborted.IsCancellationRequested)
                context.Fail(499, LedgerOutcome.ClientAborted, "client_aborted");
            try
            {
                settle.Settle(context);
            }
            finally
            {
                await ReleaseRateLimitAsync(context);
                context.Ended = true;
                context.Meter?.Dispose();
                context.Activity?.Dispose();
            }
        }
    }

    /// <summary>Never throws: a counter backend that fails here must not turn a finished request into an error.</summary>
    private async ValueTask ReleaseRateLimitAsync(ProxyContext context)
    {
        try
        {
            await rateLimit.End(context);
        }
        catch (Exception ex)
        {
            logger.LogWarning("Rate limit release failed for event {EventId}: {Message}", context.EventId, ex.Message);
        }
    }

    private string NewEventId() => EventIds.New(time.GetUtcNow());

    /// <summary>Journals the row first, then answers: a refusal the client saw is never lost either.</summary>
    private async Task WriteErrorAsync(ProxyContext context, int status, string code, string message, string? param, Budgets.BudgetRefusal? budget = null, int? retryAfterSeconds = null,
        Core.RateLimits.RateLimitRefusal? rateLimit = null)
    {
        settle.Settle(context);
        var response = context.Http.Response;
        if (response.HasStarted)
        {
            context.Http.Abort();
            return;
        }
        var body = ErrorBodies.Write(context.Route.Dialect, status, code, message, param, budget, rateLimit);
        response.Clear();
        response.StatusCode = status;
        response.ContentType = "application/json";
        response.Headers["X-TokenOps-Request-Id"] = context.EventId;
        if (retryAfterSeconds is { } seconds) response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        response.ContentLength = body.Length;
        try
        {
            await response.Body.WriteAsync(body, context.Http.RequestAborted);
        }
        catch (Exception) when (context.Http.RequestAborted.IsCancellationRequested)
        {
        }
    }
}

/// <summary>The router in force; swapped whole when prices or routes reload.</summary>
public sealed class ModelRouterHolder(ModelRouter initial)
{
    private volatile ModelRouter _current = initial;
    public ModelRouter Current => _current;
    public void Swap(ModelRouter next) => _current = next;
}
