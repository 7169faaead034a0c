using TokenOps.Routing.Evaluation;
using Xunit;

namespace TokenOps.Routing.Tests.Evaluation;

public class RoutingCurveTests
{
    // Only the strong model is right on A and E, both on B, neither on C, only the weak model on D:
    // weak accuracy 2/5, strong 3/5, a gap of one prompt.
    private static readonly LabelledPrompt A = new("a", "t", WeakCorrect: false, StrongCorrect: true);
    private static readonly LabelledPrompt B = new("b", "t", true, true);
    private static readonly LabelledPrompt C = new("c", "t", false, false);
    private static readonly LabelledPrompt D = new("d", "t", true, false);
    private static readonly LabelledPrompt E = new("e", "t", false, true);
    private static readonly LabelledPrompt[] Prompts = [A, B, C, D, E];

    [Fact]
    public void Accuracies()
    {
        var curve = RoutingCurve.Build([0, 0, 0, 0, 0], Prompts);
        Assert.Equal(0.4, curve.WeakAccuracy, 12);
        Assert.Equal(0.6, curve.StrongAccuracy, 12);
        Assert.Equal(0.4, curve.Accuracy(0), 12);
        Assert.Equal(0.6, curve.Accuracy(1), 12);
    }

    [Fact]
    public void Perfect_router_sends_the_strong_only_prompts_first_and_the_weak_only_one_last()
    {
        // Order A, E (gain +1 each), B, C (0), D (−1). Gap = 1 prompt. Cumulative gain by k: 0,1,2,2,2,1.
        // PGR at k/5: 0,1,2,2,2,1. APGR = (1/5)·Σ trapezoids = (0.5 + 1.5 + 2 + 2 + 1.5)/5 = 1.5.
        var curve = RoutingCurve.Build([5, 1, 1, -1, 4], Prompts);
        Assert.Equal(1.5, curve.Apgr(), 12);
        Assert.Equal(1, curve.Pgr(0.2), 12);
        Assert.Equal(2, curve.Pgr(0.6), 12);
        Assert.Equal(1, curve.Pgr(1), 12);
        // PGR reaches 50 % half-way through the first prompt, 80 % at 0.8 of it.
        Assert.Equal(0.1, curve.Cpt(0.5), 12);
        Assert.Equal(0.16, curve.Cpt(0.8), 12);
        Assert.True(curve.Apgr() > 1);
    }

    [Fact]
    public void A_router_that_scores_everything_the_same_is_random_routing_and_gets_one_half()
    {
        var curve = RoutingCurve.Build([0.3, 0.3, 0.3, 0.3, 0.3], Prompts);
        Assert.Equal(0.5, curve.Apgr(), 12);
        Assert.Equal(0.3, curve.Pgr(0.3), 12);
        Assert.Equal(0.5, curve.Cpt(0.5), 12);
        Assert.Equal(0.8, curve.Cpt(0.8), 12);
    }

    [Fact]
    public void The_worst_router_sends_the_weak_only_prompt_first()
    {
        // Order D (−1), B, C (0), A, E (+1): cumulative 0,−1,−1,−1,0,1. APGR = (−0.5 −1 −1 −0.5 + 0.5)/5 = −0.5.
        var curve = RoutingCurve.Build([3, 2, 2, 1, 1], [D, B, C, A, E]);
        Assert.Equal(-0.5, curve.Apgr(), 12);
        Assert.Equal(0.9, curve.Cpt(0.5), 12);
    }

    [Fact]
    public void Seeded_random_scores_average_one_half_over_many_prompts()
    {
        var rng = new Random(3);
        var prompts = Enumerable.Range(0, 20_000).Select(i => new LabelledPrompt("p", "t", rng.NextDouble() < 0.6, rng.NextDouble() < 0.8)).ToArray();
        var curve = RoutingCurve.Build(prompts.Select(_ => rng.NextDouble()).ToArray(), prompts);
        Assert.InRange(curve.Apgr(), 0.45, 0.55);
    }

    [Fact]
    public void No_gap_gives_no_figures()
    {
        var curve = RoutingCurve.Build([1, 2], [B, C]);
        Assert.True(double.IsNaN(curve.Apgr()));
        Assert.True(double.IsNaN(curve.Cpt(0.5)));
    }

    [Fact]
    public void Comparison_reports_the_scorer_random_and_prompt_length()
    {
        var figures = RouterComparison.Compare("t", Prompts, [5, 1, 1, -1, 4], "scorer", 0.2, seed: 1);
        Assert.Equal(["scorer", "random", "prompt length"], figures.Routers.Select(r => r.Router));
        Assert.Equal(1.5, figures.Routers[0].Apgr, 12);
        Assert.Equal(1, figures.Routers[0].PgrAtDial, 12);
        // All five texts are one character long: length routing is one tie group, exactly random.
        Assert.Equal(0.5, figures.Routers[2].Apgr, 12);
    }
}
