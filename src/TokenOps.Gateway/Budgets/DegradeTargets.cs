using TokenOps.Gateway.Configuration;
using TokenOps.Gateway.Protocols;
using TokenOps.Gateway.Providers;

namespace TokenOps.Gateway.Budgets;

/// <summary>
/// The cheaper model a soft-budget degrade serves, per tier and per protocol. A degrade never crosses protocols (an
/// Anthropic client cannot read an OpenAI answer), so each protocol a tier's people use needs its own target:
/// <c>degradeModels: {"openai": ..., "anthropic": ...}</c>, or <c>degradeModel</c> for the protocol that model speaks.
/// Checked when the routes are built (start and reload): when any budget degrades, a tier (or, for people in none,
/// budgets.degradeModel) without a target for a protocol its people may call is refused, naming the key to add.
/// </summary>
public sealed class DegradeTargets
{
    public static readonly DegradeTargets None = new(new Dictionary<string, Dictionary<Dialect, string>>(StringComparer.Ordinal));
    private const string Everyone = "";
    private readonly Dictionary<string, Dictionary<Dialect, string>> _targets;

    private DegradeTargets(Dictionary<string, Dictionary<Dialect, string>> targets) => _targets = targets;

    /// <summary>The model a degrade serves for a member of <paramref name="tier"/> (null: in no tier) on this protocol, or null.</summary>
    public string? For(string? tier, Dialect dialect) =>
        (tier is not null && _targets.TryGetValue(tier, out var own) && own.TryGetValue(dialect, out var model)) ? model
        : _targets.TryGetValue(Everyone, out var all) && all.TryGetValue(dialect, out var fallback) ? fallback : null;

    public static DegradeTargets Build(BudgetsOptions budgets, ModelRouter models)
    {
        var targets = new Dictionary<string, Dictionary<Dialect, string>>(StringComparer.Ordinal)
        {
            [Everyone] = Targets("budgets", budgets.DegradeModel, budgets.DegradeModels, models),
        };
        foreach (var (name, tier) in budgets.Tiers)
            targets[name] = Targets($"budgets.tiers.{name}", tier.DegradeModel, tier.DegradeModels, models);
        var compiled = new DegradeTargets(targets);
        if (!Degrades(budgets)) return compiled;
        var served = Enum.GetValues<Dialect>().Where(d => models.RoutableModels(d).Any()).ToList();
        foreach (var (name, tier) in budgets.Tiers)
            Cover($"budgets.tiers.{name}", name, Used(tier.AllowedModels, served, models), compiled);
        if (budgets.DegradeModel is not null || budgets.DegradeModels.Count > 0)
            Cover("budgets", null, served, compiled);
        return compiled;
    }

    private static Dictionary<Dialect, string> Targets(string key, string? single, Dictionary<string, string> perProtocol, ModelRouter models)
    {
        var targets = new Dictionary<Dialect, string>();
        foreach (var (protocol, model) in perProtocol)
        {
            var dialect = protocol.ToLowerInvariant() switch
            {
                "openai" => Dialect.OpenAI,
                "anthropic" => Dialect.Anthropic,
                _ => throw new ConfigurationException($"{key}.degradeModels: \"{protocol}\" is not a protocol (openai or anthropic)"),
            };
            if (DialectOf(model, models) != dialect)
                throw new ConfigurationException($"{key}.degradeModels.{protocol}: '{model}' cannot serve {protocol} requests (unknown, unpriced, or another protocol's model)");
            targets[dialect] = model;
        }
        if (single is not null)
        {
            var dialect = DialectOf(single, models)
                ?? throw new ConfigurationException($"{key}.degradeModel: '{single}' is unknown or unpriced: no request could be degraded to it");
            targets.TryAdd(dialect, single);
        }
        return targets;
    }

    /// <summary>A tier's protocols: those of its allowed models, or every protocol served when it may call any model.</summary>
    private static List<Dialect> Used(List<string>? allowed, List<Dialect> served, ModelRouter models) =>
        allowed is null ? served : [.. allowed.Select(m => DialectOf(m, models)).OfType<Dialect>().Distinct()];

    private static void Cover(string key, string? tier, List<Dialect> used, DegradeTargets targets)
    {
        var missing = used.Where(d => targets.For(tier, d) is null).ToList();
        if (missing.Count == 0) return;
        var have = used.Except(missing).Select(d => $"{Name(d)} to {targets.For(tier, d)}");
        throw new ConfigurationException(
            $"{key}: a soft budget degrades, and members may call {string.Join(" and ", missing.Select(Name))} models, which have no degrade model" +
            $"{(have.Any() ? $" (degrading goes {string.Join(", ", have)}, and never across protocols)" : "")}; add {string.Join(" and ", missing.Select(d => $"{key}.degradeModels.{Name(d)}"))}");
    }

    private static bool Degrades(BudgetsOptions b) =>
        new[] { b.Organisation, }.Concat(b.Teams.Values).Concat(b.People.Values).Concat(b.Projects.Values).Concat(b.Tiers.Values.Select(t => t.Stipend))
            .Any(o => o is not null && string.Equals(o.Mode, "soft", StringComparison.OrdinalIgnoreCase) && string.Equals(o.SoftAction, "degrade", StringComparison.OrdinalIgnoreCase));

    private static Dialect? DialectOf(string model, ModelRouter models)
    {
        foreach (var dialect in Enum.GetValues<Dialect>())
        {
            try
            {
                models.Resolve(model, dialect);
                return dialect;
            }
            catch (GatewayException)
            {
            }
        }
        return null;
    }

    private static string Name(Dialect d) => d == Dialect.Anthropic ? "anthropic" : "openai";
}
