using TokenOps.Routing.Scoring;
using Xunit;

namespace TokenOps.Routing.Tests.Scoring;

public class PromptFeaturesTests
{
    private static double Feature(string text, string name)
    {
        var values = new double[PromptFeatures.Count];
        PromptFeatures.Extract(text, values);
        return values[Array.IndexOf(PromptFeatures.Names, name)];
    }

    [Fact]
    public void Names_are_unique()
    {
        Assert.Equal(PromptFeatures.Names.Length, PromptFeatures.Names.Distinct().Count());
    }

    [Fact]
    public void Lettered_options_are_found_with_their_shape()
    {
        const string q = "What is 2 + 3?\nA. 4\nB. 5\nC. 6\nD. 7\nAnswer:";
        Assert.Equal(1, Feature(q, "has_options"));
        Assert.Equal(4, Feature(q, "option_count"));
        Assert.Equal(1, Feature(q, "numeric_options"));
        Assert.Equal(1, Feature(q, "stem_is_question"));
        Assert.Equal(0, Feature("Tell me about Paris.", "has_options"));
        Assert.Equal(2, Feature("Pick one:\n(a) red apples\n(b) red pears", "option_count"));
    }

    [Fact]
    public void Options_that_share_their_words_overlap()
    {
        const string close = "The lesion causes\nA. paralysis of the facial muscles\nB. paralysis of the facial muscles and loss of taste\nC. paralysis of the facial muscles and lacrimation\nD. paralysis of the facial nerve";
        const string apart = "The capital of France is\nA. Paris\nB. Berlin\nC. Rome\nD. Madrid";
        Assert.True(Feature(close, "option_overlap") > 0.4);
        Assert.Equal(0, Feature(apart, "option_overlap"));
    }

    [Fact]
    public void Words_and_phrases_are_counted_whole_and_case_blind()
    {
        Assert.Equal(Math.Log(1 + 2), Feature("How many apples? HOW MANY pears? Somehow manyfold.", "maths_words"), 12);
        Assert.Equal(Math.Log(1 + 1), Feature("It is NOT true, and nothing is.", "negation"), 12);
        // "explain" and the phrase "step by step".
        Assert.Equal(Math.Log(1 + 2), Feature("Explain it step by step.", "reasoning_words"), 12);
    }

    [Fact]
    public void Code_and_maths_markers()
    {
        Assert.True(Feature("```python\ndef f(x):\n    return x * 2\n```", "code") >= 2);
        Assert.True(Feature("Solve $x^2 + 3x = \\frac{1}{2}$", "latex") > 0);
        Assert.Equal(0, Feature("hello there", "code"));
    }

    [Fact]
    public void Long_input_is_cut_and_never_throws()
    {
        var values = new double[PromptFeatures.Count];
        PromptFeatures.Extract(new string('x', 100_000) + "?", values);
        PromptFeatures.Extract("", values);
        PromptFeatures.Extract("A.\nB.\n(\n\u0000\uffff" + string.Concat(Enumerable.Repeat("9", 40)), values);
        Assert.All(values, v => Assert.False(double.IsNaN(v) || double.IsInfinity(v)));
    }
}
