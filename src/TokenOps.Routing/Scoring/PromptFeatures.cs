namespace TokenOps.Routing.Scoring;

/// <summary>
/// Cheap, topic-free features of a prompt's question (its last user turn): size, shape of the question and of its
/// answer options, maths density, reasoning and negation markers, code. They describe how a question is asked, not
/// what it is about, which is what carries over to topics the scorer never saw. Each is a plain number; the trainer
/// standardises them. Computed in one pass or a few short scans over at most <see cref="MaxChars"/> characters.
/// </summary>
public static class PromptFeatures
{
    public const int MaxChars = 16_000;

    public static readonly string[] Names =
    [
        "log_chars", "log_words", "log_lines", "log_sentences", "mean_word_length",
        "has_options", "option_count", "log_stem_chars", "log_mean_option_chars", "option_length_spread", "option_length_max_ratio",
        "numeric_options", "roman_numeral_options", "above_options", "true_false_options", "statement_pair",
        "passage", "negation", "which_of_following", "question_marks", "blank",
        "digit_share", "log_numbers", "log_distinct_numbers", "operator_density", "maths_words", "maths_symbols", "money_units", "percent_fraction",
        "reasoning_words", "multi_step_words", "logic_symbols",
        "code", "uppercase_share", "quotes", "parentheses", "capitalised_share", "years", "non_ascii_share",
        "stem_numbers", "number_words", "decimals", "max_number_magnitude", "rate_words", "money_words", "time_words", "comparison_words",
        "words_per_sentence", "question_sentences", "conditionals",
        "expression_options", "latex", "computational", "fact_recall", "approximate_options",
        "option_overlap", "lexical_diversity", "log_min_option_chars", "stem_is_question", "stem_is_completion",
        "log_repeated_words", "pronouns",
    ];

    /// <summary>The index of "has_options" (1 when the question has lettered answer options): it picks the scorer's head.</summary>
    public static readonly int HasOptions = Array.IndexOf(Names, "has_options");

    public static int Count => Names.Length;

    public static void Extract(ReadOnlySpan<char> text, Span<double> into)
    {
        if (text.Length > MaxChars) text = text[..MaxChars];
        into[..Count].Clear();
        var f = 0;
        var stats = TextStats.Of(text);
        var options = Options.Find(text);
        var words = WordCounts.Of(text, options.Count >= 2 ? options.StemChars : text.Length);

        into[f++] = Math.Log(1 + text.Length);
        into[f++] = Math.Log(1 + stats.Words);
        into[f++] = Math.Log(1 + stats.Lines);
        into[f++] = Math.Log(1 + stats.Sentences);
        into[f++] = stats.Words > 0 ? Math.Min(20, stats.Letters / (double)stats.Words) : 0;

        var hasOptions = options.Count >= 2 ? 1.0 : 0.0;
        into[f++] = hasOptions;
        into[f++] = options.Count;
        into[f++] = Math.Log(1 + options.StemChars);
        into[f++] = options.Count > 0 ? Math.Log(1 + options.MeanChars) : 0;
        into[f++] = options.Spread;
        into[f++] = options.MaxRatio;
        into[f++] = options.NumericShare;
        into[f++] = options.Roman ? 1 : 0;
        into[f++] = options.Above ? 1 : 0;
        into[f++] = options.TrueFalse ? 1 : 0;
        into[f++] = Contains(text, "statement 1") ? 1 : 0;

        into[f++] = Contains(text, "refers to the following") || Contains(text, "the following passage") || options.StemChars > 800 ? 1 : 0;
        into[f++] = words.Text(WordList.Negations);
        into[f++] = Contains(text, "which of the following") ? 1 : 0;
        into[f++] = Math.Min(5, text.Count('?'));
        into[f++] = Contains(text, "___") ? 1 : 0;

        var chars = Math.Max(1, text.Length);
        into[f++] = stats.Digits / (double)chars;
        into[f++] = Math.Log(1 + stats.Numbers);
        into[f++] = Math.Log(1 + stats.DistinctNumbers);
        into[f++] = stats.Operators * 100.0 / chars;
        into[f++] = words.Text(WordList.MathsWords);
        into[f++] = CountAny(text, MathsSymbols);
        into[f++] = Math.Min(10, text.Count('$')) + words.Text(WordList.Units) * 0.5;
        into[f++] = Math.Min(10, text.Count('%') + words.Text(WordList.Fractions));

        into[f++] = words.Text(WordList.ReasoningWords);
        into[f++] = words.Text(WordList.MultiStepWords);
        into[f++] = CountAny(text, LogicSymbols);

        into[f++] = CodeScore(text, stats);
        into[f++] = stats.Uppercase / (double)Math.Max(1, stats.Letters);
        into[f++] = Math.Min(10, stats.Quotes);
        into[f++] = stats.Parentheses * 100.0 / chars;
        into[f++] = stats.Capitalised / (double)Math.Max(1, stats.Words);
        into[f++] = Math.Min(5, stats.Years);
        into[f++] = stats.NonAscii / (double)chars;

        into[f++] = Math.Log(1 + options.StemNumbers);
        into[f++] = words.Text(WordList.NumberWords);
        into[f++] = Math.Log(1 + stats.Decimals);
        into[f++] = Math.Log10(1 + stats.MaxNumber);
        into[f++] = words.Text(WordList.RateWords);
        into[f++] = words.Text(WordList.MoneyWords);
        into[f++] = words.Text(WordList.TimeWords);
        into[f++] = words.Text(WordList.ComparisonWords);
        into[f++] = Math.Min(80, stats.Words / (double)Math.Max(1, stats.Sentences));
        into[f++] = Math.Min(5, stats.QuestionSentences);
        into[f++] = words.Text(WordList.Conditionals);

        // A multiple-choice question whose options are numbers or formulas and whose stem asks for a computation is
        // a different kind of question from one whose options are numbers to recall ("As of 2016, about what share").
        var stem = options.Count >= 2 ? text[..options.StemChars] : text;
        into[f++] = options.ExpressionShare;
        var latex = Math.Min(10, stem.Count('$') + stem.Count('\\'));
        into[f++] = Math.Log(1 + latex);
        var stemMaths = words.Stem(WordList.MathsWords) + CountAny(stem, MathsSymbols) + Math.Log(1 + latex) + (stats.Operators > 0 ? 0.5 : 0);
        into[f++] = options.ExpressionShare * Math.Min(3, stemMaths) * (stats.Years > 0 ? 0.5 : 1);
        into[f++] = words.Stem(WordList.FactWords) + Math.Min(2, stats.Years);
        into[f++] = options.ApproximateShare;

        // Options that share most of their words differ in a detail: telling them apart takes a stronger model. A
        // question that repeats its own words (low lexical diversity) is a long, dense one.
        into[f++] = options.Count >= 2 ? OptionOverlap(text, options) : 0;
        var (distinct, hashed) = DistinctWords(text);
        into[f++] = hashed > 0 ? distinct / (double)hashed : 1;
        into[f++] = options.Count >= 2 ? Math.Log(1 + options.MinChars) : 0;
        var stemEnd = stem.TrimEnd();
        into[f++] = stemEnd.EndsWith('?') ? 1 : 0;
        into[f++] = stemEnd.Length > 0 && !stemEnd.EndsWith('?') && !stemEnd.EndsWith('.') ? 1 : 0;
        into[f++] = Math.Log(1 + hashed - distinct);
        into[f++] = words.Text(WordList.Pronouns);
    }

    private static readonly string[] Pronouns = ["he", "she", "they", "it", "his", "her", "their", "him", "them"];

    private const int MaxWordsHashed = 2_048;

    // Mean pairwise Jaccard similarity of the options' word sets (words hashed; options are short).
    private static double OptionOverlap(ReadOnlySpan<char> text, Options options)
    {
        Span<int> hashes = stackalloc int[10 * 64];
        Span<int> counts = stackalloc int[10];
        for (var o = 0; o < options.Count; o++)
        {
            var body = text.Slice(options.Starts[o], options.Lengths[o]);
            var slot = hashes.Slice(o * 64, 64);
            var n = 0;
            foreach (var word in new WordEnumerator(body))
            {
                if (n == 64) break;
                var h = (int)WordHash(word);
                if (!slot[..n].Contains(h)) slot[n++] = h;
            }
            counts[o] = n;
        }
        double sum = 0;
        var pairs = 0;
        for (var a = 0; a < options.Count; a++)
            for (var b = a + 1; b < options.Count; b++)
            {
                var sa = hashes.Slice(a * 64, counts[a]);
                var sb = hashes.Slice(b * 64, counts[b]);
                var common = 0;
                foreach (var h in sa) if (sb.Contains(h)) common++;
                var union = sa.Length + sb.Length - common;
                sum += union > 0 ? common / (double)union : 0;
                pairs++;
            }
        return pairs > 0 ? sum / pairs : 0;
    }

    // Distinct words and words, on the first MaxWordsHashed words, in an open-addressing table on the stack.
    private static (int Distinct, int Words) DistinctWords(ReadOnlySpan<char> text)
    {
        Span<int> table = stackalloc int[MaxWordsHashed * 2];
        table.Clear();
        int words = 0, distinct = 0;
        foreach (var word in new WordEnumerator(text))
        {
            if (words == MaxWordsHashed) break;
            words++;
            var h = (int)WordHash(word) | 1; // never 0, the empty slot
            var i = (int)((uint)h % (uint)table.Length);
            while (table[i] != 0 && table[i] != h) i = (i + 1) % table.Length;
            if (table[i] == 0) { table[i] = h; distinct++; }
        }
        return (distinct, words);
    }

    private static long WordHash(ReadOnlySpan<char> word)
    {
        var h = unchecked((long)14695981039346656037UL);
        foreach (var c in word) h = unchecked((h ^ (c < 128 ? (c is >= 'A' and <= 'Z' ? c + 32 : c) : char.ToLowerInvariant(c))) * 1099511628211L);
        return h == 0 ? 1 : h;
    }

    /// <summary>Runs of letters and digits.</summary>
    private ref struct WordEnumerator(ReadOnlySpan<char> text)
    {
        private readonly ReadOnlySpan<char> _text = text;
        private int _next;

        public ReadOnlySpan<char> Current { get; private set; }

        public int Start { get; private set; }

        public readonly WordEnumerator GetEnumerator() => this;

        public bool MoveNext()
        {
            while (_next < _text.Length && !char.IsLetterOrDigit(_text[_next])) _next++;
            if (_next >= _text.Length) return false;
            Start = _next;
            while (_next < _text.Length && char.IsLetterOrDigit(_text[_next])) _next++;
            Current = _text[Start.._next];
            return true;
        }
    }

    /// <summary>The word lists the features count, as flags of one lexicon.</summary>
    private enum WordList { Negations, MathsWords, Units, Fractions, ReasoningWords, MultiStepWords, NumberWords, RateWords, MoneyWords, TimeWords, ComparisonWords, Conditionals, FactWords, Pronouns }

    private const int WordLists = 14;

    // Every word and phrase (up to three words) of every list, by the hash of its lower-cased words: one pass over the
    // question's words counts them all, instead of one case-insensitive search per entry.
    // (In a nested class so that it is built after the lists above it are: static fields initialise in text order.)
    private static class LexiconHolder
    {
        public static readonly Dictionary<long, int> Value = BuildLexicon();
    }

    private static Dictionary<long, int> BuildLexicon()
    {
        var lexicon = new Dictionary<long, int>();
        var lists = new (WordList List, string[] Words)[]
        {
            (WordList.Negations, Negations), (WordList.MathsWords, MathsWords), (WordList.Units, Units), (WordList.Fractions, Fractions),
            (WordList.ReasoningWords, ReasoningWords), (WordList.MultiStepWords, MultiStepWords), (WordList.NumberWords, NumberWords),
            (WordList.RateWords, RateWords), (WordList.MoneyWords, MoneyWords), (WordList.TimeWords, TimeWords),
            (WordList.ComparisonWords, ComparisonWords), (WordList.Conditionals, Conditionals), (WordList.FactWords, FactWords), (WordList.Pronouns, Pronouns),
        };
        foreach (var (list, entries) in lists)
            foreach (var entry in entries)
            {
                long key = 0;
                foreach (var word in new WordEnumerator(entry)) key = Chain(key, WordHash(word));
                lexicon[key] = lexicon.GetValueOrDefault(key) | (1 << (int)list);
            }
        return lexicon;
    }

    private static long Chain(long previous, long word) => unchecked(previous * 1_000_003 + word);

    /// <summary>How often each list's words occur in the whole question and in its stem (before the options).</summary>
    private ref struct WordCounts
    {
        private WordListCounts _text, _stem;

        public readonly double Text(WordList list) => Math.Log(1 + _text[(int)list]);

        public readonly double Stem(WordList list) => Math.Log(1 + _stem[(int)list]);

        public static WordCounts Of(ReadOnlySpan<char> text, int stemEnd)
        {
            var counts = new WordCounts();
            long one = 0, two = 0;
            var enumerator = new WordEnumerator(text);
            while (enumerator.MoveNext())
            {
                var h = WordHash(enumerator.Current);
                var inStem = enumerator.Start < stemEnd;
                Add(ref counts, h, inStem);
                if (one != 0) Add(ref counts, Chain(one, h), inStem);
                if (two != 0) Add(ref counts, Chain(Chain(two, one), h), inStem);
                two = one;
                one = h;
            }
            return counts;
        }

        private static void Add(ref WordCounts counts, long key, bool inStem)
        {
            if (!LexiconHolder.Value.TryGetValue(key, out var flags)) return;
            for (var list = 0; list < WordLists; list++)
            {
                if ((flags & (1 << list)) == 0) continue;
                counts._text[list]++;
                if (inStem) counts._stem[list]++;
            }
        }
    }

    [System.Runtime.CompilerServices.InlineArray(WordLists)]
    private struct WordListCounts
    {
        private int _first;
    }

    private static readonly string[] FactWords = ["as of", "according to", "which country", "which year", "in what year", "who was", "who is", "percentage of", "what percentage", "the largest", "the most"];

    private static readonly string[] NumberWords =
    [
        "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve", "twenty", "thirty",
        "fifty", "hundred", "thousand", "million", "dozen", "half", "twice", "double", "triple", "third", "quarter",
    ];
    private static readonly string[] RateWords = ["per", "each", "every", "rate", "an hour", "a day", "a week", "a month", "a year", "apiece"];
    private static readonly string[] MoneyWords = ["profit", "cost", "costs", "price", "pay", "pays", "paid", "earn", "earns", "sell", "sells", "buy", "buys", "bought", "discount", "tax", "interest", "save", "spend", "spent"];
    private static readonly string[] TimeWords = ["hour", "hours", "minute", "minutes", "day", "days", "week", "weeks", "month", "months", "year", "years", "o'clock", "pm", "am"];
    private static readonly string[] ComparisonWords = ["more", "fewer", "less", "older", "younger", "longer", "shorter", "faster", "slower", "taller", "bigger", "smaller", "than"];
    private static readonly string[] Conditionals = ["if", "when", "suppose", "assuming", "unless", "otherwise", "instead"];

    private static readonly string[] Negations = ["not", "except", "least", "false", "incorrect", "never", "cannot", "unlikely"];
    private static readonly string[] MathsWords =
    [
        "calculate", "compute", "how many", "how much", "value of", "probability", "ratio", "average", "mean", "sum", "solve",
        "equation", "integer", "function", "derivative", "integral", "expected", "variance", "rate", "total", "estimate",
        "minimum", "maximum", "prime", "divisible", "remainder", "area", "volume", "speed",
    ];
    private static readonly string[] MathsSymbols = ["^", "\\frac", "\\sqrt", "√", "π", "∑", "≤", "≥", "≠", "×", "÷", "$$", "\\(", "log(", "sin", "cos"];
    private static readonly string[] Units = ["per", "hour", "hours", "minutes", "km", "miles", "kg", "dollars", "cents", "meters", "days", "weeks"];
    private static readonly string[] Fractions = ["half", "third", "quarter", "twice", "percent", "double", "triple"];
    private static readonly string[] ReasoningWords =
    [
        "if", "then", "suppose", "assume", "therefore", "implies", "only if", "unless", "must", "valid", "argument", "premise",
        "conclusion", "prove", "why", "because", "would", "best", "most likely", "explain", "step by step", "reason",
    ];
    private static readonly string[] MultiStepWords =
    [
        "each", "every", "remaining", "after", "more than", "less than", "times", "left", "then", "another", "rest", "again",
        "first", "second", "later", "before", "instead",
    ];
    private static readonly string[] LogicSymbols = ["⊃", "∨", "∧", "≡", "→", "↔", "¬", " ~", "∀", "∃", "·"];

    private static bool Contains(ReadOnlySpan<char> text, string value) => text.Contains(value, StringComparison.OrdinalIgnoreCase);

    private static double CountAny(ReadOnlySpan<char> text, string[] needles)
    {
        var n = 0;
        foreach (var needle in needles) n += Occurrences(text, needle);
        return Math.Log(1 + n);
    }

    private static int Occurrences(ReadOnlySpan<char> text, string needle)
    {
        var n = 0;
        var at = 0;
        while (at < text.Length)
        {
            var i = text[at..].IndexOf(needle, StringComparison.Ordinal);
            if (i < 0) break;
            n++;
            at += i + needle.Length;
        }
        return n;
    }

    private static double CodeScore(ReadOnlySpan<char> text, TextStats stats)
    {
        var score = 0.0;
        if (text.Contains("```", StringComparison.Ordinal)) score += 2;
        foreach (var marker in (ReadOnlySpan<string>)["def ", "return ", "function ", "class ", "#include", "public static", "=>", "print(", "import ", "SELECT ", "printf", "var ", "int ", "for (", "while (", "};"])
            if (text.Contains(marker, StringComparison.Ordinal)) score += 0.5;
        score += Math.Min(3, (stats.Braces + stats.Semicolons) * 50.0 / Math.Max(1, text.Length));
        return score;
    }

    private ref struct TextStats
    {
        public int Words, Letters, Lines, Sentences, QuestionSentences, Digits, Numbers, DistinctNumbers, Decimals, Operators, Uppercase, Quotes, Parentheses, Capitalised, Years, NonAscii, Braces, Semicolons;
        public double MaxNumber;

        public static TextStats Of(ReadOnlySpan<char> text)
        {
            var s = new TextStats { Lines = text.Length > 0 ? 1 : 0 };
            Span<long> seen = stackalloc long[32];
            var inWord = false;
            var afterSentenceEnd = true;
            for (var i = 0; i < text.Length; i++)
            {
                var c = text[i];
                if (c > 127) s.NonAscii++;
                if (char.IsLetter(c))
                {
                    s.Letters++;
                    if (char.IsUpper(c)) s.Uppercase++;
                    if (!inWord)
                    {
                        s.Words++;
                        if (char.IsUpper(c) && !afterSentenceEnd) s.Capitalised++;
                        afterSentenceEnd = false;
                    }
                    inWord = true;
                    continue;
                }
                inWord = false;
                if (char.IsAsciiDigit(c))
                {
                    s.Digits++;
                    if (i == 0 || !(char.IsAsciiDigit(text[i - 1]) || text[i - 1] == '.' || text[i - 1] == ','))
                    {
                        var end = i;
                        long value = 0;
                        var fraction = false;
                        while (end < text.Length && (char.IsAsciiDigit(text[end]) || ((text[end] == ',' || text[end] == '.') && end + 1 < text.Length && char.IsAsciiDigit(text[end + 1]))))
                        {
                            if (text[end] == '.') fraction = true;
                            if (char.IsAsciiDigit(text[end]) && !fraction && value < long.MaxValue / 20) value = value * 10 + (text[end] - '0');
                            end++;
                        }
                        s.Numbers++;
                        if (fraction) s.Decimals++;
                        s.MaxNumber = Math.Max(s.MaxNumber, value);
                        if (end - i == 4 && value is >= 1500 and <= 2099) s.Years++;
                        var slot = (int)(value % 32);
                        if ((seen[slot] & (1L << (int)(value % 61))) == 0) { s.DistinctNumbers++; seen[slot] |= 1L << (int)(value % 61); }
                    }
                    continue;
                }
                switch (c)
                {
                    case '\n': s.Lines++; afterSentenceEnd = true; break;
                    case '.' or '!' or '?':
                        if (i + 1 >= text.Length || char.IsWhiteSpace(text[i + 1]))
                        {
                            s.Sentences++;
                            if (c == '?') s.QuestionSentences++;
                            afterSentenceEnd = true;
                        }
                        break;
                    case '+' or '*' or '/' or '=' or '<' or '>' or '^': s.Operators++; break;
                    case '-' when i + 1 < text.Length && (char.IsAsciiDigit(text[i + 1]) || text[i + 1] == ' ') && i > 0 && text[i - 1] == ' ': s.Operators++; break;
                    case '"' or '“' or '”': s.Quotes++; break;
                    case '(' or ')': s.Parentheses++; break;
                    case '{' or '}': s.Braces++; break;
                    case ';': s.Semicolons++; break;
                }
            }
            return s;
        }
    }

    [System.Runtime.CompilerServices.InlineArray(10)]
    private struct OptionSpans
    {
        private int _first;
    }

    /// <summary>Lettered answer options ("A. ...", "(B) ...", "c) ...") on their own lines, in order from A.</summary>
    private ref struct Options
    {
        public int Count;
        public int StemChars;
        public int StemNumbers;
        public double MeanChars, MinChars, Spread, MaxRatio, NumericShare, ExpressionShare, ApproximateShare;
        public OptionSpans Starts, Lengths;
        public bool Roman, Above, TrueFalse;

        public static Options Find(ReadOnlySpan<char> text)
        {
            var o = new Options { StemChars = text.Length };
            Span<int> lengths = stackalloc int[10];
            var numeric = 0;
            var expressions = 0;
            var approximate = 0;
            var lineStart = 0;
            var firstOption = -1;
            while (lineStart < text.Length && o.Count < 10)
            {
                var lineEnd = text[lineStart..].IndexOf('\n');
                var line = lineEnd < 0 ? text[lineStart..] : text.Slice(lineStart, lineEnd);
                if (OptionBody(line.Trim(), (char)('A' + o.Count), out var bodyText))
                {
                    if (o.Count == 0) firstOption = lineStart;
                    o.Starts[o.Count] = lineStart + line.IndexOf(bodyText);
                    o.Lengths[o.Count] = bodyText.Length;
                    lengths[o.Count++] = bodyText.Length;
                    if (IsNumeric(bodyText)) numeric++;
                    if (IsExpression(bodyText)) expressions++;
                    if (bodyText.StartsWith("About", StringComparison.OrdinalIgnoreCase) || bodyText.StartsWith("Approximately", StringComparison.OrdinalIgnoreCase)
                        || bodyText.EndsWith('%')) approximate++;
                    if (bodyText.Contains("II", StringComparison.Ordinal)) o.Roman = true;
                    if (bodyText.Contains("of the above", StringComparison.OrdinalIgnoreCase) || bodyText.StartsWith("Both", StringComparison.OrdinalIgnoreCase)) o.Above = true;
                    if (bodyText.StartsWith("True", StringComparison.OrdinalIgnoreCase) || bodyText.StartsWith("False", StringComparison.OrdinalIgnoreCase)) o.TrueFalse = true;
                }
                if (lineEnd < 0) break;
                lineStart += lineEnd + 1;
            }
            if (o.Count < 2) return new Options { StemChars = text.Length, Count = 0 };
            o.StemChars = firstOption;
            foreach (var c in text[..firstOption]) if (char.IsAsciiDigit(c)) o.StemNumbers++;
            double sum = 0, max = 0, min = double.MaxValue;
            for (var i = 0; i < o.Count; i++) { sum += lengths[i]; max = Math.Max(max, lengths[i]); min = Math.Min(min, lengths[i]); }
            o.MinChars = min;
            o.MeanChars = sum / o.Count;
            double variance = 0;
            for (var i = 0; i < o.Count; i++) variance += (lengths[i] - o.MeanChars) * (lengths[i] - o.MeanChars);
            o.Spread = o.MeanChars > 0 ? Math.Sqrt(variance / o.Count) / o.MeanChars : 0;
            o.MaxRatio = o.MeanChars > 0 ? max / o.MeanChars : 0;
            o.NumericShare = numeric / (double)o.Count;
            o.ExpressionShare = expressions / (double)o.Count;
            o.ApproximateShare = approximate / (double)o.Count;
            return o;
        }

        // "A. text", "A) text", "(A) text", "a. text": the option's text, when the line is option `letter`.
        private static bool OptionBody(ReadOnlySpan<char> line, char letter, out ReadOnlySpan<char> body)
        {
            body = default;
            if (line.Length < 2) return false;
            var i = 0;
            if (line[0] == '(') i = 1;
            if (i >= line.Length || char.ToUpperInvariant(line[i]) != letter) return false;
            i++;
            if (i >= line.Length || (line[i] != '.' && line[i] != ')' && line[i] != ':')) return false;
            i++;
            body = line[i..].Trim();
            return true;
        }

        // Numbers and formulas: digits, operators, LaTeX and one-letter variables outweigh the letters of real words.
        private static bool IsExpression(ReadOnlySpan<char> body)
        {
            if (body.Length == 0) return false;
            int symbols = 0, wordLetters = 0, run = 0;
            for (var i = 0; i <= body.Length; i++)
            {
                var c = i < body.Length ? body[i] : ' ';
                if (char.IsLetter(c)) { run++; continue; }
                if (run >= 3 && !(i - run > 0 && body[i - run - 1] == '\\')) wordLetters += run;
                else symbols += run;
                run = 0;
                if (char.IsAsciiDigit(c) || c is '+' or '-' or '*' or '/' or '=' or '^' or '(' or ')' or '{' or '}' or '<' or '>' or '√' or 'π' or '−' or '.' or ',') symbols++;
            }
            return symbols > 0 && symbols >= wordLetters;
        }

        private static bool IsNumeric(ReadOnlySpan<char> body)
        {
            if (body.Length == 0) return false;
            var digits = 0;
            var letters = 0;
            foreach (var c in body)
            {
                if (char.IsAsciiDigit(c)) digits++;
                else if (char.IsLetter(c)) letters++;
            }
            return digits > 0 && digits >= letters;
        }
    }
}
