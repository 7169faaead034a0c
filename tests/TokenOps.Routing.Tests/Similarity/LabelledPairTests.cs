using Xunit;
using TokenOps.Routing.Similarity;

namespace TokenOps.Routing.Tests.Similarity;

public sealed class LabelledPairTests
{
    internal static string PairsFile()
    {
        // The set lives in data/semantic/ of the repository; walk up from the test binaries to find it.
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "data", "semantic", "pairs.jsonl");
            if (File.Exists(candidate)) return candidate;
        }
        throw new FileNotFoundException("data/semantic/pairs.jsonl not found above " + AppContext.BaseDirectory);
    }

    [Fact]
    public void The_set_has_300_distinct_pairs_nearly_half_paraphrases_and_every_near_miss_kind()
    {
        var pairs = LabelledPair.Load(PairsFile());

        Assert.True(pairs.Count >= 300, $"{pairs.Count} pairs");
        Assert.Equal(pairs.Count, pairs.Select(p => (p.A, p.B)).Distinct().Count());
        Assert.True(pairs.Count(p => p.Same) >= 0.45 * pairs.Count, $"{pairs.Count(p => p.Same)} positives");
        Assert.All(pairs, p => Assert.Equal(p.Kind == "paraphrase", p.Same));
        string[] kinds = ["negation", "other-entity", "other-language", "other-unit", "paraphrase", "swapped-number", "unrelated-topic-similar"];
        Assert.Equal(kinds, pairs.Select(p => p.Kind).Distinct().Order(StringComparer.Ordinal));
        Assert.True(pairs.Select(p => p.Domain).Distinct().Count() >= 6);
    }

    [Fact]
    public void Every_kind_keeps_about_30_percent_held_out()
    {
        foreach (var kind in LabelledPair.Load(PairsFile()).GroupBy(p => p.Kind))
        {
            var share = (double)kind.Count(p => p.HeldOut) / kind.Count();
            Assert.InRange(share, 0.2, 0.4);
        }
    }

    [Fact]
    public void A_bad_label_names_the_line()
    {
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, "{\"a\":\"x\",\"b\":\"y\",\"label\":\"maybe\",\"kind\":\"paraphrase\",\"domain\":\"d\",\"split\":\"tune\"}\n");
            var error = Assert.Throws<FormatException>(() => LabelledPair.Load(path));
            Assert.Contains(":1:", error.Message);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void Evaluation_counts_a_matcher_per_kind_and_on_the_held_out_split()
    {
        var pairs = LabelledPair.Load(PairsFile());

        // Exact text equality never matches a pair in the set: precision 1 by convention, recall 0.
        var exact = PairEvaluation.Run(pairs, (a, b) => a == b);
        Assert.Equal(0, exact.All.TruePositive + exact.All.FalsePositive);
        Assert.Equal(0, exact.All.Recall);

        // Matching everything: recall 1, precision the share of positives, every near miss a false positive.
        var everything = PairEvaluation.Run(pairs, (_, _) => true);
        Assert.Equal(1, everything.All.Recall);
        Assert.Equal((double)pairs.Count(p => p.Same) / pairs.Count, everything.All.Precision, 9);
        Assert.Equal(pairs.Count(p => p.Kind == "negation"), everything.ByKind["negation"].FalsePositive);
        Assert.Equal(pairs.Count(p => p.HeldOut), everything.HeldOut.Total);
    }
}
