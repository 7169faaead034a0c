using System.Globalization;
using TokenOps.Routing.Embeddings;
using TokenOps.Routing.Scoring;

namespace TokenOps.Routing;

/// <summary>
/// The learned scorer: cheap, topic-free features of the question plus its static MiniLM embedding (the mean of its
/// first word-pieces' MiniLM vectors, folded into one trained number per piece), through a logistic regression trained
/// by `tokenops route train` (docs/ROUTING.md), plus small fixed priors for what the training data cannot show (tools,
/// conversation depth, requested output, context beyond the question). Thread-safe and allocation-light: a score is
/// a few scans of the question and a table look-up per word-piece, no transformer pass. The default instance loads its
/// weights and vocabulary on first use, once.
/// </summary>
public sealed class StrongScorer : IRouteScorer
{
    private static readonly Lazy<StrongScorer> Default = new(() => new StrongScorer(new Lazy<Model>(LoadEmbedded)));

    private readonly Lazy<Model> _model;

    private StrongScorer(Lazy<Model> model) => _model = model;

    /// <summary>The scorer with the weights shipped in this assembly. Cheap to call: the model loads on the first score.</summary>
    public static StrongScorer LoadDefault() => Default.Value;

    /// <summary>A scorer with the given weights (training and evaluation use this).</summary>
    public static StrongScorer FromWeights(ScorerWeights weights, WordPieceTokenizer tokenizer) => new(new Lazy<Model>(new Model(weights, tokenizer)));

    /// <summary>Loads the model now rather than on the first score (a gateway can do this at start-up).</summary>
    public void Warm() => _ = _model.Value;

    public RouteScore Score(RoutePrompt prompt)
    {
        var model = _model.Value;
        var text = prompt.LastUserText.AsSpan();
        Span<double> features = stackalloc double[PromptFeatures.Count];
        PromptFeatures.Extract(text, features);
        var head = model.HeadFor(features);
        Span<double> contributions = stackalloc double[ReasonLabels.Length];
        var logit = head.Weights.Bias;
        for (var i = 0; i < features.Length; i++)
        {
            var c = head.Weights.Weights[i] * ScorerHead.Standardise(features[i], head.Weights.Means[i], head.Weights.Scales[i]);
            logit += c;
            contributions[model.ReasonOf[i]] += c;
        }
        var embedding = model.EmbeddingTerm(head, text);
        logit += embedding;
        contributions[EmbeddingReason] += embedding;
        var priors = Priors(prompt, contributions);
        logit += priors;
        return new RouteScore(LogisticSigmoid(logit), Reasons(contributions));
    }

    /// <summary>The score's logit from the learned part only (features and embedding): what evaluation ranks by.</summary>
    internal double LearnedLogit(ReadOnlySpan<char> question)
    {
        var model = _model.Value;
        Span<double> features = stackalloc double[PromptFeatures.Count];
        PromptFeatures.Extract(question, features);
        var head = model.HeadFor(features);
        var logit = head.Weights.Bias;
        for (var i = 0; i < features.Length; i++) logit += head.Weights.Weights[i] * ScorerHead.Standardise(features[i], head.Weights.Means[i], head.Weights.Scales[i]);
        return logit + model.EmbeddingTerm(head, question);
    }

    // Fixed, small, documented: the evaluation data are single-turn questions without tools, so these cannot be learned
    // from it. Each is zero for such a prompt.
    private static double Priors(RoutePrompt prompt, Span<double> contributions)
    {
        var tools = prompt.ToolCount > 0 ? 0.15 + 0.05 * Math.Log2(prompt.ToolCount) : 0;
        var depth = 0.1 * Math.Log2(Math.Max(1, prompt.UserTurns));
        var output = prompt.RequestedOutputTokens is { } max && max > 2_000 ? 0.1 * Math.Log2(max / 2_000.0) : 0;
        var context = prompt.TotalChars - prompt.LastUserText.Length;
        var longContext = context > 8_000 ? 0.1 * Math.Log2(context / 8_000.0) : 0;
        contributions[Array.IndexOf(ReasonLabels, "tools")] += tools;
        contributions[Array.IndexOf(ReasonLabels, "long conversation")] += depth;
        contributions[Array.IndexOf(ReasonLabels, "long output requested")] += output;
        contributions[Array.IndexOf(ReasonLabels, "long prompt")] += longContext;
        return tools + depth + output + longContext;
    }

    private static double LogisticSigmoid(double z) => 1 / (1 + Math.Exp(-z));

    private static readonly string[] ReasonLabels =
    [
        "long prompt", "multiple choice", "maths", "reasoning", "multi-step", "negation", "logic", "code", "passage", "other",
        "embedding", "tools", "long conversation", "long output requested",
    ];

    private static readonly int EmbeddingReason = Array.IndexOf(ReasonLabels, "embedding");

    private static string ReasonFor(string feature) => feature switch
    {
        "log_chars" or "log_words" or "log_lines" or "log_sentences" or "words_per_sentence" or "lexical_diversity" or "log_repeated_words" => "long prompt",
        "has_options" or "option_count" or "log_stem_chars" or "log_mean_option_chars" or "option_length_spread" or "option_length_max_ratio"
            or "roman_numeral_options" or "above_options" or "true_false_options" or "statement_pair" or "which_of_following"
            or "option_overlap" or "log_min_option_chars" or "stem_is_question" or "stem_is_completion" => "multiple choice",
        "numeric_options" or "digit_share" or "log_numbers" or "log_distinct_numbers" or "operator_density" or "maths_words" or "maths_symbols"
            or "money_units" or "percent_fraction" or "stem_numbers" or "number_words" or "decimals" or "max_number_magnitude" or "rate_words"
            or "money_words" or "time_words" or "comparison_words" or "expression_options" or "latex" or "computational" => "maths",
        "reasoning_words" or "conditionals" or "question_sentences" or "pronouns" => "reasoning",
        "multi_step_words" => "multi-step",
        "negation" => "negation",
        "logic_symbols" => "logic",
        "code" => "code",
        "passage" or "quotes" => "passage",
        _ => "other",
    };

    private static IReadOnlyList<string> Reasons(ReadOnlySpan<double> contributions)
    {
        const double noticeable = 0.05;
        var reasons = new List<(string Label, double Weight)>(4);
        for (var i = 0; i < contributions.Length; i++)
        {
            var c = contributions[i];
            if (i == EmbeddingReason)
            {
                if (Math.Abs(c) >= noticeable) reasons.Add((c > 0 ? "embedding: hard" : "embedding: easy", Math.Abs(c)));
                continue;
            }
            if (c >= noticeable && ReasonLabels[i] != "other") reasons.Add((ReasonLabels[i], c));
        }
        if (reasons.Count == 0) return ["simple prompt"];
        return reasons.OrderByDescending(r => r.Weight).Take(4).Select(r => r.Label).ToArray();
    }

    private static Model LoadEmbedded()
    {
        using var stream = typeof(StrongScorer).Assembly.GetManifestResourceStream("TokenOps.Routing.weights.json")
            ?? throw new InvalidOperationException("TokenOps.Routing has no embedded weights.json (run 'tokenops route train')");
        return new Model(ScorerWeights.FromJson(stream), MiniLm.Tokenizer());
    }

    private sealed class Model
    {
        public ScorerWeights Weights { get; }
        public int[] ReasonOf { get; }
        private readonly Head _multipleChoice;
        private readonly Head _freeForm;
        private readonly WordPieceTokenizer _tokenizer;

        public Model(ScorerWeights weights, WordPieceTokenizer tokenizer)
        {
            if (!weights.Features.SequenceEqual(PromptFeatures.Names))
                throw new InvalidDataException("weights: the feature list differs from this build's (retrain with 'tokenops route train')");
            if (weights.VocabularySize != tokenizer.VocabularySize)
                throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture, $"weights: trained on a vocabulary of {weights.VocabularySize} pieces, MiniLM has {tokenizer.VocabularySize}"));
            Weights = weights;
            _tokenizer = tokenizer;
            _multipleChoice = new Head(Find(weights, ScorerHead.MultipleChoice), weights.VocabularySize);
            _freeForm = new Head(Find(weights, ScorerHead.FreeForm), weights.VocabularySize);
            ReasonOf = weights.Features.Select(f => Array.IndexOf(ReasonLabels, ReasonFor(f))).ToArray();
        }

        private static ScorerHead Find(ScorerWeights weights, string name)
        {
            var head = weights.Heads.FirstOrDefault(h => h.Name == name) ?? throw new InvalidDataException($"weights: no '{name}' head");
            if (head.Weights.Length != weights.Features.Length || head.Means.Length != weights.Features.Length || head.Scales.Length != weights.Features.Length)
                throw new InvalidDataException($"weights: head '{name}' does not have one weight per feature");
            return head;
        }

        public Head HeadFor(ReadOnlySpan<double> features) => features[PromptFeatures.HasOptions] > 0 ? _multipleChoice : _freeForm;

        public double EmbeddingTerm(Head head, ReadOnlySpan<char> question)
        {
            if (head.PieceScores is not { } scores) return 0;
            // The first MaxPieces word-pieces: a long question says what it is about early, and the cost stays flat.
            Span<int> pieces = stackalloc int[Math.Clamp(Weights.MaxPieces, 1, 1024)];
            var count = _tokenizer.Encode(question, pieces);
            if (count == 0) return 0;
            double sum = 0, total = 0;
            for (var i = 0; i < count; i++)
            {
                var w = PieceWeights.Of(pieces[i]);
                sum += w * scores[pieces[i]];
                total += w;
            }
            return total > 0 ? sum / total - head.Weights.PieceOffset : 0;
        }
    }

    private sealed class Head(ScorerHead weights, int vocabularySize)
    {
        public ScorerHead Weights { get; } = weights;
        public float[]? PieceScores { get; } = weights.DecodePieceScores(vocabularySize);
    }
}
