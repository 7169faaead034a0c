namespace TokenOps.Routing.Evaluation;

/// <summary>One router's figures on one set of prompts.</summary>
public sealed record RouterFigures(string Router, double Apgr, double Cpt50, double Cpt80, double PgrAtDial);

/// <summary>All routers' figures on one set of prompts (a group such as "MMLU" or "GSM8K"), with the set's accuracies.</summary>
public sealed record GroupFigures(string Group, int Prompts, double WeakAccuracy, double StrongAccuracy, double Dial, IReadOnlyList<RouterFigures> Routers);

/// <summary>
/// Scores the same prompts with the scorer under test and the two baselines RouteLLM reports, in one run: random
/// routing (the mean over 20 seeded draws) and prompt-length routing (longer prompt = strong model).
/// </summary>
public static class RouterComparison
{
    public const int RandomDraws = 20;

    public static GroupFigures Compare(string group, IReadOnlyList<LabelledPrompt> prompts, IReadOnlyList<double> scores, string scorerName, double dial, int seed)
    {
        var routers = new List<RouterFigures> { Figures(scorerName, RoutingCurve.Build(scores, prompts), dial) };
        var random = new List<RouterFigures>();
        for (var draw = 0; draw < RandomDraws; draw++)
        {
            var rng = new Random(seed + draw);
            random.Add(Figures("random", RoutingCurve.Build(prompts.Select(_ => rng.NextDouble()).ToArray(), prompts), dial));
        }
        routers.Add(new RouterFigures("random", random.Average(r => r.Apgr), random.Average(r => r.Cpt50), random.Average(r => r.Cpt80), random.Average(r => r.PgrAtDial)));
        routers.Add(Figures("prompt length", RoutingCurve.Build(prompts.Select(p => (double)p.Text.Length).ToArray(), prompts), dial));
        var curve = RoutingCurve.Build(scores, prompts);
        return new GroupFigures(group, prompts.Count, curve.WeakAccuracy, curve.StrongAccuracy, dial, routers);
    }

    private static RouterFigures Figures(string name, RoutingCurve curve, double dial) => new(name, curve.Apgr(), curve.Cpt(0.5), curve.Cpt(0.8), curve.Pgr(dial));

    /// <summary>"MMLU" for mmlu/* domains, "GSM8K" for gsm8k, else the domain itself.</summary>
    public static string GroupOf(string domain) =>
        domain.StartsWith("mmlu/", StringComparison.Ordinal) ? "MMLU" : domain == "gsm8k" ? "GSM8K" : domain;
}
