using System.Reflection;
using System.Text.Json;
using TokenOps.Gateway.Budgets;

namespace TokenOps.Gateway.Configuration;

/// <summary>
/// What an edit of tokenops.json does to a running gateway, beyond the routes and prices the <see cref="RouteReloader"/>
/// swaps: budgets (limits, periods, modes, tiers) apply at once, as `tokenops budgets set` does; every other changed
/// section is named in one warning that says a restart applies it. Nothing is silently ignored.
/// </summary>
public sealed class LiveSettings(GatewayOptions running, BudgetEngine budgets, ILogger<LiveSettings> logger)
{
    /// <summary>Sections the reloader applies live (routes, prices, routers), that this class applies (budgets), or never compared.</summary>
    private static readonly HashSet<string> Live = new(StringComparer.Ordinal)
    {
        nameof(GatewayOptions.Providers), nameof(GatewayOptions.Models), nameof(GatewayOptions.Prices), nameof(GatewayOptions.Pricing),
        nameof(GatewayOptions.AllowUnpriced), nameof(GatewayOptions.Routing), nameof(GatewayOptions.Budgets),
        // Fixed at start, and `serve --data` overrides the file's: not an edit to warn about.
        nameof(GatewayOptions.DataDirectory),
    };

    private static readonly PropertyInfo[] Sections = typeof(GatewayOptions).GetProperties(BindingFlags.Public | BindingFlags.Instance)
        .Where(p => p.CanRead && p.CanWrite && p.GetIndexParameters().Length == 0).ToArray();

    /// <summary>Applies <paramref name="next"/>'s budgets and warns about the sections that wait for a restart.</summary>
    public void Apply(GatewayOptions next)
    {
        if (!Same(running.Budgets, next.Budgets))
        {
            budgets.ApplyConfig(next.Budgets);
            logger.LogInformation("Applied the budgets of tokenops.json (limits, periods, modes and tiers)");
        }
        var waiting = Sections.Where(p => !Live.Contains(p.Name) && !Same(p.GetValue(running), p.GetValue(next)))
            .Select(p => JsonNamingPolicy.CamelCase.ConvertName(p.Name)).ToList();
        if (waiting.Count > 0)
            logger.LogWarning("tokenops.json changed {Sections}: restart the gateway to apply (models, providers, prices, routing and budgets apply live)",
                string.Join(", ", waiting));
    }

    private static bool Same(object? a, object? b)
    {
        try
        {
            return JsonSerializer.Serialize(a) == JsonSerializer.Serialize(b);
        }
        catch (NotSupportedException)
        {
            return ReferenceEquals(a, b);
        }
    }
}
