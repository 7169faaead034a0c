using System.Collections.Concurrent;
using System.Text.Json;
using TokenOps.Core.Pricing;
using TokenOps.Gateway.Metering;
using TokenOps.Gateway.Protocols;
using TokenOps.Gateway.Providers;
using TokenOps.Routing;

namespace TokenOps.Gateway.Routing;

/// <summary>What a router decided for one request: the choice, every candidate that could serve it, and the score.</summary>
public sealed record RouteDecision(RoutedCandidate Choice, IReadOnlyList<RoutedCandidate> Eligible, RouteScore Score);

/// <summary>
/// The decision itself, apart from HTTP (the gateway's router stage and <c>tokenops route score</c> share it): the
/// candidates that can serve the request, the scorer's strong score, and the dial (with this picker's window of each
/// router's recent scores, for a strong share).
/// </summary>
public sealed class CandidatePicker(IRouteScorer scorer, TokenCounter tokens)
{
    private readonly ConcurrentDictionary<string, ScoreWindow> _windows = new(StringComparer.Ordinal);

    /// <param name="allowed">The caller's tier allow-list, when it has one: a router never routes into a 403.</param>
    public RouteDecision Decide(AutoRouter router, ProtocolRoute protocol, JsonElement root, int bodyBytes, long maxOutput, Func<string, bool>? allowed = null)
    {
        var candidates = router.Candidates(protocol.Dialect);
        if (candidates.Count == 0)
            throw GatewayException.BadRequest("no_candidate",
                $"Router '{router.Name}' has no candidate models for the {protocol.Dialect} protocol; call it through the other protocol's endpoints or add candidates under routing.routers.{router.Name}.", "model");
        var eligible = Eligible(protocol, root, candidates, bodyBytes, maxOutput, allowed);
        var score = scorer.Score(RoutePromptReader.Read(root));
        var window = _windows.GetOrAdd(router.Name, _ => new ScoreWindow());
        window.Add(score.StrongScore);
        return new RouteDecision(eligible[router.Dial.Pick(score.StrongScore, eligible.Count, window)], eligible, score);
    }

    /// <summary>The candidates that can serve this request, cheapest first; a 400 that says why when none can.</summary>
    private List<RoutedCandidate> Eligible(ProtocolRoute protocol, JsonElement root, IReadOnlyList<ModelRoute> candidates, int bodyBytes, long maxOutput,
        Func<string, bool>? allowed)
    {
        var needs = RequestNeeds.Read(root);
        long? inputTokens = null;
        var eligible = new List<RoutedCandidate>(candidates.Count);
        var refusals = new List<string>();
        for (var i = 0; i < candidates.Count; i++)
        {
            var route = candidates[i];
            var price = route.Price!;
            if (allowed is not null && !allowed(route.ServedModel))
            {
                refusals.Add($"{route.ServedModel} is not allowed for your tier");
                continue;
            }
            var missing = needs & ~price.Capabilities;
            if (missing != ModelCapabilities.None)
            {
                refusals.Add($"{route.ServedModel} cannot take {RequestNeeds.Describe(missing)}");
                continue;
            }
            if (price.MaxOutputTokens is { } outputCap && maxOutput > outputCap)
            {
                refusals.Add($"{route.ServedModel} writes at most {outputCap} tokens (max_tokens is {maxOutput})");
                continue;
            }
            if (price.MaxInputTokens is { } window)
            {
                // Every token is at least one byte: a body that fits in bytes fits in tokens, with no tokenizer run.
                if (bodyBytes + maxOutput > window)
                {
                    inputTokens ??= protocol.CountPromptTokens(root, tokens, route.ServedModel);
                    if (inputTokens + maxOutput > window)
                    {
                        refusals.Add($"{route.ServedModel}'s context window ({window} tokens) cannot hold the prompt (~{inputTokens}) plus max_tokens ({maxOutput})");
                        continue;
                    }
                }
            }
            eligible.Add(new RoutedCandidate(route, i));
        }
        if (eligible.Count == 0)
            throw GatewayException.BadRequest("no_eligible_model",
                $"No candidate of this router can serve the request: {string.Join("; ", refusals)}.", "model");
        return eligible;
    }
}
