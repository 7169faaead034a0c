using Microsoft.Extensions.DependencyInjection.Extensions;
using TokenOps.Core.RateLimits;
using TokenOps.Gateway.Pipeline;

namespace TokenOps.Gateway.RateLimits;

public static class RateLimitServiceCollectionExtensions
{
    /// <summary>
    /// Rate limits: the rules (tokenops.json "rateLimits" plus the store, polled every second), the counters (in this
    /// process; a shared backend registers its own <see cref="IRateLimitCounters"/> first) and the pipeline stage.
    /// </summary>
    public static IServiceCollection AddRateLimits(this IServiceCollection services)
    {
        services.AddMetrics();
        services.AddSingleton<RateLimitEngine>();
        services.AddHostedService<RateLimitRefresher>();
        services.TryAddSingleton<IRateLimitCounters, InProcessRateLimitCounters>();
        services.AddSingleton<RateLimitMetrics>();
        services.AddSingleton<RateLimitStage>();
        return services;
    }
}
