using System.Globalization;
using System.Text.Json;
using TokenOps.Core.Routing;
using TokenOps.Gateway.Budgets;
using TokenOps.Gateway.Pipeline;
using TokenOps.Gateway.Protocols;
using TokenOps.Gateway.Providers;

namespace TokenOps.Gateway.Routing;

/// <summary>A candidate that can serve a request, with its rank among the router's candidates (0 = cheapest).</summary>
public sealed record RoutedCandidate(ModelRoute Route, int Rank);

/// <summary>
/// <c>model: "auto"</c>: chooses the cheapest candidate that will do, after the body is read and before rate limits and
/// admission, so that reservations and budgets see the model that will serve. In order: the router the request names (or
/// its team's or tier's); the candidates that can serve it (tools, images, a JSON schema, reasoning, a context window that
/// holds the prompt plus max_tokens), within the caller's protocol; the scorer's strong score and the dial; then the
/// session's pin (escalate, never step down). A request that names a model costs one string comparison here.
/// </summary>
public sealed class RouterStage(ModelRouterHolder models, BudgetEngine budgets, CandidatePicker picker, ISessionPins pins, ILogger<RouterStage> logger)
{
    public const string RoutedModelHeader = "X-TokenOps-Routed-Model";
    public const string ScoreHeader = "X-TokenOps-Route-Score";
    public const string ReasonsHeader = "X-TokenOps-Route-Reasons";

    /// <summary>Routes an <c>auto</c> request and returns true; false for a request that names its model (synchronously).</summary>
    public async ValueTask<bool> TryRouteAsync(ProxyContext context)
    {
        var model = context.Facts!.Model;
        if (!AutoRouters.IsAuto(model)) return false;
        var key = context.Key!;
        var tier = budgets.Policies.TierOf(key.Person);
        var router = models.Current.Routers.Resolve(model, key.Team, tier?.Name);
        if (!context.Route.Billable || context.Route.Name == "openai.embeddings")
            throw GatewayException.BadRequest("not_routable", $"'{model}' chooses among chat models; {context.Route.Name} needs a model named explicitly.", "model");

        using var doc = JsonDocument.Parse(context.Body!);
        var root = doc.RootElement;
        // The router chooses only among models both the tier and the key may use.
        Func<string, bool>? allowed = (tier?.AllowedModels, key.Models) switch
        {
            (null, null) => null,
            (not null, null) => tier!.Allows,
            (null, { } models) => models.Allows,
            (_, { } models) => m => tier!.Allows(m) && models.Allows(m),
        };
        var (choice, eligible, score) = picker.Decide(router, context.Route, root, context.Body!.Length, context.Facts.MaxOutputTokens ?? 0, allowed);

        if (router.PinSessions && SessionKey.Read(context.Http.Request, root) is { } session)
        {
            // A pinned session keeps its model unless this turn needs a stronger one (or the pinned one cannot serve it).
            var pin = await PinAsync(context, router.Name, session, choice);
            if (pin is not null && pin.Rank > choice.Rank && eligible.FirstOrDefault(c => c.Rank >= pin.Rank) is { } pinned)
            {
                choice = pinned;
                if (pinned.Rank != pin.Rank) await PinAsync(context, router.Name, session, pinned);
            }
            context.RouterSession = session;
        }

        context.RouterName = router.Name;
        context.AskedRoute = router.Baseline(context.Route.Dialect);
        context.RouteScore = score.StrongScore;
        context.RouteReasons = score.Reasons;
        // A cascade tries the choice first and keeps the stronger candidates for when its answer fails its check.
        if (router.Cascade && !context.Facts.Stream) context.CascadeCandidates = eligible.Where(c => c.Rank > choice.Rank).ToList();
        Serve(context, choice);
        return true;
    }

    /// <summary>A cascade's next attempt: the next stronger candidate serves, and the session's pin moves up with it.</summary>
    public async ValueTask EscalateAsync(ProxyContext context)
    {
        var next = context.CascadeCandidates[0];
        context.CascadeCandidates = context.CascadeCandidates.Skip(1).ToList();
        if (context.RouterSession is { } session) await PinAsync(context, context.RouterName!, session, next);
        Serve(context, next);
    }

    private static void Serve(ProxyContext context, RoutedCandidate choice)
    {
        context.RouterRank = choice.Rank;
        context.ModelRoute = choice.Route;
        context.RoutedRoute = choice.Route;
        var headers = context.Http.Response.Headers;
        headers[RoutedModelHeader] = HeaderValues.Encode(choice.Route.ServedModel);
        headers[ScoreHeader] = context.RouteScore!.Value.ToString("0.0000", CultureInfo.InvariantCulture);
        if (context.RouteReasons is { Count: > 0 } reasons) headers[ReasonsHeader] = HeaderValues.Encode(string.Join(", ", reasons));
    }

    /// <summary>After a Responses answer: its id is pinned too, so the next turn (previous_response_id) finds the model.</summary>
    public async ValueTask AfterAnswerAsync(ProxyContext context)
    {
        if (context.RouterName is { } router && context.Meter?.ProviderRequestId is { } id && context.Route.Name == "openai.responses")
            await PinAsync(context, router, SessionKey.ForResponse(id), new RoutedCandidate(context.ModelRoute!, context.RouterRank));
    }

    /// <summary>Never fails a request: pins that cannot be reached (Redis down) leave the turn to its score.</summary>
    private async ValueTask<SessionPin?> PinAsync(ProxyContext context, string router, string session, RoutedCandidate candidate)
    {
        try
        {
            return await pins.PinAtLeastAsync(router, session, new SessionPin(candidate.Route.ServedModel, candidate.Rank), context.StartedAt, context.Http.RequestAborted);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.LogWarning("Session pin for router {Router} unavailable ({Error}); routing by score alone", router, ex.GetType().Name);
            return null;
        }
    }
}
