using System.Text.Json;
using TokenOps.Gateway.Metering;
using TokenOps.Gateway.PromptCache;

namespace TokenOps.Gateway.Pipeline;

/// <summary>
/// Prompt-cache help (tokenops.json "promptCache", per team or route): Anthropic breakpoints on the stable prefix of a
/// body that has none, or an OpenAI prompt_cache_key from the session. It runs after admission, so it sees the model
/// that will serve (a degrade changes the minimum cacheable length), and changes no token count, so reservations made
/// before it stand. Breakpoints are the "cache-breakpoint" lever, priced at settlement (the same tokens with cache reads
/// and writes as plain input, minus what they cost); a cache key is recorded as the lever with no amount, since OpenAI
/// caches without one too and the share the key adds cannot be told apart. What was done goes in <see cref="Header"/>.
/// </summary>
public sealed class PromptCacheStage(PromptCachePolicy policy, TokenCounter tokens)
{
    public const string Header = "X-TokenOps-Prompt-Cache";

    public void Run(ProxyContext context)
    {
        if (policy.IsOff || !context.Route.JsonBody || context.Key is null || context.ModelRoute is not { } route) return;
        if (policy.For(context.Route.Name, context.Key.Team) is not { } help) return;
        using var doc = JsonDocument.Parse(context.Body);
        if (context.Route.Name == "anthropic.messages")
        {
            var minimum = route.Price?.PromptCacheMinTokens ?? AnthropicBreakpoints.DefaultMinimumTokens;
            if (AnthropicBreakpoints.Add(context.Body!, doc.RootElement, route.ServedModel, minimum, help.Ttl, tokens) is not { } added) return;
            context.Body = added.Body;
            context.CacheBreakpointsAdded = true;
            context.Http.Response.Headers[Header] = $"breakpoints={added.Added}";
        }
        else if (OpenAICacheKey.Add(context.Body!, doc.RootElement, context.Http.Request.Headers) is { } keyed)
        {
            context.Body = keyed;
            context.PromptCacheKeyAdded = true;
            context.Http.Response.Headers[Header] = "prompt_cache_key";
        }
    }
}
