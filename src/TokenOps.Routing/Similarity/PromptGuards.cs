using System.Globalization;
using System.Text;

namespace TokenOps.Routing.Similarity;

/// <summary>
/// What must agree exactly between two prompts before their embeddings are even compared: an embedding puts "turn on
/// dark mode" next to "turn off dark mode", "refund order 1234" next to "refund order 1235" and a French question next
/// to its English translation, and a cached answer to one is wrong for the other. The guards are
/// <list type="bullet">
/// <item>numbers with their units, order-free ("5 km" is not "5 miles"; "five" counts as 5),</item>
/// <item>polarity: the parity of negations (not, no, never, n't, without...) and the pole taken on each antonym axis
/// (on/enable/start vs off/disable/stop, add vs remove, increase vs decrease, allow vs deny, ...),</item>
/// <item>identifiers: capitalised words not at a sentence's start, all-caps and mixed-case words, words with digits,
/// emails, URLs, paths and code identifiers (snake_case, camelCase, dotted), quoted strings,</item>
/// <item>the language: the dominant script, and for Latin script the language whose function words the text uses most,</item>
/// <item>the content terms: every word that is not a function word or a request's framing ("how can I", "explain",
/// "what's the best way to"), lightly stemmed. A static embedding puts "read a CSV file" next to "write a CSV file" and
/// "overfitting" next to "underfitting" (0.95 and more, above most paraphrases); the terms keep them apart, and the
/// embedding still decides between prompts worded differently around the same terms.</item>
/// </list>
/// The guard hash (FNV-1a 64 over a canonical form) is the bucket key beside the system prompt's: two prompts with
/// different guards never match. The lists are general vocabulary, not any test set's words.
/// </summary>
public sealed record PromptGuards(string Language, IReadOnlyList<string> Numbers, IReadOnlyList<string> Polarity, IReadOnlyList<string> Identifiers, IReadOnlyList<string> Terms)
{
    /// <summary>The canonical form the hash is taken over (for tests and diagnostics; it holds prompt words, so it is
    /// never stored).</summary>
    public string Canonical => $"{Language}|{string.Join(',', Numbers)}|{string.Join(',', Polarity)}|{string.Join(',', Identifiers)}|{string.Join(',', Terms)}";

    public ulong Hash => Fnv1a64(Canonical);

    public static PromptGuards Of(string text)
    {
        var words = GuardTokens.Split(text);
        var language = LanguageId.Of(text, words);
        return new PromptGuards(language, Quantities.Of(words), Polarities.Of(words), IdentifiersOf(text, words), ContentTerms.Of(words));
    }

    internal static ulong Fnv1a64(string text)
    {
        var hash = 14695981039346656037UL;
        foreach (var b in Encoding.UTF8.GetBytes(text))
        {
            hash ^= b;
            hash *= 1099511628211UL;
        }
        return hash;
    }

    private static IReadOnlyList<string> IdentifiersOf(string text, IReadOnlyList<GuardToken> words)
    {
        var found = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var quoted in GuardTokens.Quoted(text)) found.Add("q:" + quoted.ToLowerInvariant());
        foreach (var w in words)
        {
            var s = w.Text;
            if (s.Length == 0 || w.IsNumber || (s[0] == '#' && s.Skip(1).All(char.IsDigit))) continue;
            var letters = s.Count(char.IsLetter);
            var upper = s.Count(char.IsUpper);
            var hasDigit = s.Any(char.IsDigit);
            var symbolic = s.IndexOfAny(['@', '/', '\\', '_', '.', ':', '#', '(', '=', '<', '>', '[', '{']) >= 0 || (s.Contains('-') && hasDigit);
            var mixedCase = upper > 0 && char.IsLower(s[0]) || upper > 1 && upper < letters; // iPhone, camelCase, GitHub
            var allCaps = letters >= 2 && upper == letters && s != "I";
            var properNoun = !w.SentenceStart && letters > 0 && char.IsUpper(s[0]) && s != "I";
            if (hasDigit || symbolic || mixedCase || allCaps || properNoun) found.Add(s.ToLowerInvariant().TrimEnd('.', ':'));
        }
        return [.. found];
    }
}

/// <summary>A word of a prompt as the guards see it: kept whole with its inner punctuation (emails, paths, code),
/// flagged when it opens a sentence.</summary>
internal readonly record struct GuardToken(string Text, bool SentenceStart)
{
    public bool IsNumber => Text.Length > 0 && char.IsDigit(Text[0]) && Text.All(c => char.IsDigit(c) || c is '.' or ',');
    public string Lower => Text.ToLowerInvariant();
}

internal static class GuardTokens
{
    // Punctuation that ends a word when it trails it; inside a word (a.b, x_y, a@b, 1.5) it is kept.
    private const string Trailing = ".,;:!?)]}\"'`»”’";
    private const string Leading = "([{\"'`«“‘¿¡";

    public static IReadOnlyList<GuardToken> Split(string text)
    {
        var tokens = new List<GuardToken>();
        var sentenceStart = true;
        foreach (var raw in text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))
        {
            var word = raw.TrimStart(Leading.ToCharArray());
            var end = word.TrimEnd(Trailing.ToCharArray());
            var closes = end.Length < word.Length && word[end.Length..].IndexOfAny(['.', '!', '?', ':']) >= 0;
            if (end.Length > 0)
            {
                // "don't" keeps its n't; "5km" and "$5" are split so the number and the unit are seen apart.
                foreach (var part in SplitUnits(end)) tokens.Add(new GuardToken(part, sentenceStart));
                sentenceStart = false;
            }
            if (closes || raw.EndsWith('\n')) sentenceStart = true;
        }
        return tokens;
    }

    private static IEnumerable<string> SplitUnits(string word)
    {
        if (word.Length > 1 && word[0] is '$' or '€' or '£' or '¥') { yield return word[..1]; word = word[1..]; }
        var i = 0;
        while (i < word.Length && (char.IsDigit(word[i]) || (i > 0 && word[i] is '.' or ',' && i + 1 < word.Length && char.IsDigit(word[i + 1])))) i++;
        if (i > 0 && i < word.Length && word[i..].All(c => char.IsLetter(c) || c == '%'))
        {
            yield return word[..i];
            yield return word[i..];
        }
        else yield return word;
    }

    /// <summary>Text between matching quotes ("...", `...`, “...”), a few words at most.</summary>
    public static IEnumerable<string> Quoted(string text)
    {
        foreach (var (open, close) in new[] { ('"', '"'), ('`', '`'), ('“', '”'), ('«', '»') })
        {
            var from = 0;
            while (from < text.Length)
            {
                var a = text.IndexOf(open, from);
                if (a < 0) break;
                var b = text.IndexOf(close, a + 1);
                if (b < 0) break;
                var inner = text[(a + 1)..b].Trim();
                if (inner.Length is > 0 and <= 200) yield return inner;
                from = b + 1;
            }
        }
    }
}

/// <summary>Numbers and their units, order-free; number words up to the thousands count as digits.</summary>
internal static class Quantities
{
    private static readonly Dictionary<string, string> Units = BuildUnits();

    private static readonly Dictionary<string, long> NumberWords = new(StringComparer.Ordinal)
    {
        ["zero"] = 0, ["one"] = 1, ["two"] = 2, ["three"] = 3, ["four"] = 4, ["five"] = 5, ["six"] = 6, ["seven"] = 7, ["eight"] = 8,
        ["nine"] = 9, ["ten"] = 10, ["eleven"] = 11, ["twelve"] = 12, ["thirteen"] = 13, ["fourteen"] = 14, ["fifteen"] = 15,
        ["sixteen"] = 16, ["seventeen"] = 17, ["eighteen"] = 18, ["nineteen"] = 19, ["twenty"] = 20, ["thirty"] = 30, ["forty"] = 40,
        ["fifty"] = 50, ["sixty"] = 60, ["seventy"] = 70, ["eighty"] = 80, ["ninety"] = 90, ["hundred"] = 100, ["thousand"] = 1000,
        ["million"] = 1_000_000, ["billion"] = 1_000_000_000, ["dozen"] = 12,
    };

    public static IReadOnlyList<string> Of(IReadOnlyList<GuardToken> words)
    {
        var found = new List<string>();
        for (var i = 0; i < words.Count; i++)
        {
            var lower = words[i].Lower;
            string? number = null;
            if (words[i].IsNumber) number = Normalise(words[i].Text);
            else if (NumberWords.TryGetValue(lower, out var n)) number = n.ToString(CultureInfo.InvariantCulture);
            else if (lower.Length > 1 && lower[0] == '#' && lower[1..].All(char.IsDigit)) number = lower[1..];
            if (number is null) continue;
            var unit = i + 1 < words.Count && Units.TryGetValue(words[i + 1].Lower, out var after) ? after
                : i > 0 && Units.TryGetValue(words[i - 1].Lower, out var before) && before is "usd" or "eur" or "gbp" or "jpy" ? before : "";
            found.Add(unit.Length > 0 ? $"{number} {unit}" : number);
        }
        found.Sort(StringComparer.Ordinal);
        return found;
    }

    private static string Normalise(string number)
    {
        // "1,000" and "1000" are one number; "1.50" and "1.5" too.
        var s = number.Replace(",", "", StringComparison.Ordinal);
        return decimal.TryParse(s, NumberStyles.Number, CultureInfo.InvariantCulture, out var d) ? d.ToString("0.##########", CultureInfo.InvariantCulture) : s;
    }

    private static Dictionary<string, string> BuildUnits()
    {
        var units = new Dictionary<string, string>(StringComparer.Ordinal);
        void Add(string canonical, params string[] names) { foreach (var n in names) units[n] = canonical; units[canonical] = canonical; }
        Add("km", "kilometer", "kilometers", "kilometre", "kilometres", "kms");
        Add("m", "meter", "meters", "metre", "metres");
        Add("cm", "centimeter", "centimeters", "centimetre", "centimetres");
        Add("mm", "millimeter", "millimeters", "millimetre", "millimetres");
        Add("mi", "mile", "miles");
        Add("ft", "foot", "feet");
        Add("inch", "inches");
        Add("yd", "yard", "yards");
        Add("kg", "kilogram", "kilograms", "kilo", "kilos", "kgs");
        Add("g", "gram", "grams");
        Add("lb", "lbs", "pound", "pounds");
        Add("oz", "ounce", "ounces");
        Add("l", "liter", "liters", "litre", "litres");
        Add("ml", "milliliter", "milliliters", "millilitre", "millilitres");
        Add("gal", "gallon", "gallons");
        Add("c", "°c", "celsius");
        Add("f", "°f", "fahrenheit");
        Add("ms", "millisecond", "milliseconds", "msec");
        Add("s", "sec", "secs", "second", "seconds");
        Add("min", "mins", "minute", "minutes");
        Add("h", "hr", "hrs", "hour", "hours");
        Add("d", "day", "days");
        Add("wk", "week", "weeks");
        Add("mo", "month", "months");
        Add("y", "yr", "yrs", "year", "years");
        Add("b", "byte", "bytes");
        Add("kb", "kilobyte", "kilobytes");
        Add("mb", "megabyte", "megabytes");
        Add("gb", "gigabyte", "gigabytes", "gib");
        Add("tb", "terabyte", "terabytes", "tib");
        Add("%", "percent", "pct", "percentage");
        Add("usd", "$", "dollar", "dollars", "bucks");
        Add("eur", "€", "euro", "euros");
        Add("gbp", "£", "sterling");
        Add("jpy", "¥", "yen");
        Add("x", "times");
        Add("px", "pixel", "pixels");
        Add("k", "thousand");
        return units;
    }
}

/// <summary>A prompt's content words, stemmed: what is left once function words and the framing of a request are gone.</summary>
internal static class ContentTerms
{
    // English function words and the usual framing of a question or a request to an assistant; not topic words.
    private static readonly HashSet<string> Frame = new(
        ("a an the is are was were be been being am do does did doing done have has had having i me my mine myself we our ours us you your yours " +
         "it its this that these those there here what whats which who whom whose when where why how can could would should will shall may might must " +
         "to of in on at by for with from into onto about as than then so if or and but also just any some each every both either " +
         "very really please tell give show explain describe help want need know get way best easiest easy good simple simply quick quickly possible " +
         "proper properly brief briefly kindly let lets s t im ive id youre go going able one using use via through out up").Split(' '),
        StringComparer.Ordinal);

    public static IReadOnlyList<string> Of(IReadOnlyList<GuardToken> words)
    {
        var terms = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var w in words)
            foreach (var part in w.Lower.Replace('’', '\'').Split(['\'', '-', '/', '.', '_'], StringSplitOptions.RemoveEmptyEntries))
            {
                if (!part.All(char.IsLetter) || Frame.Contains(part)) continue;
                terms.Add(Stem(part));
            }
        return [.. terms];
    }

    // Plural and tense endings only: "files" and "file", "rendering" and "render" are one term.
    private static string Stem(string w)
    {
        if (w.Length > 4 && w.EndsWith("ies", StringComparison.Ordinal)) return w[..^3] + "y";
        if (w.Length > 5 && w.EndsWith("ing", StringComparison.Ordinal)) return w[..^3];
        if (w.Length > 4 && w.EndsWith("ed", StringComparison.Ordinal)) return w[..^2];
        if (w.Length > 4 && w.EndsWith("es", StringComparison.Ordinal) && w[^3] is 's' or 'x' or 'h') return w[..^2];
        if (w.Length > 3 && w.EndsWith('s') && !w.EndsWith("ss", StringComparison.Ordinal)) return w[..^1];
        return w;
    }
}

/// <summary>Negation parity and the pole taken on each antonym axis.</summary>
internal static class Polarities
{
    private static readonly HashSet<string> Negations = new(StringComparer.Ordinal)
    {
        "not", "no", "never", "without", "none", "nothing", "nobody", "nowhere", "neither", "nor", "cannot", "can't", "won't", "don't",
        "doesn't", "didn't", "isn't", "aren't", "wasn't", "weren't", "shouldn't", "wouldn't", "couldn't", "mustn't", "haven't", "hasn't",
        "hadn't", "needn't", "dont", "doesnt", "didnt", "isnt", "cant", "wont", "shouldnt", "wouldnt", "couldnt", "pas", "nicht",
        "kein", "keine", "nunca", "jamais", "nie",
    };

    // axis -> (positive pole words, negative pole words): general antonyms of requests to systems and people.
    private static readonly (string Axis, string[] Plus, string[] Minus)[] Axes =
    [
        ("active", ["enable", "enabled", "enabling", "activate", "activated", "start", "started", "starting", "launch", "resume", "turn-on", "switch-on", "power-on", "unmute", "unpause", "boot"],
                   ["disable", "disabled", "disabling", "deactivate", "deactivated", "stop", "stopped", "stopping", "halt", "pause", "paused", "suspend", "turn-off", "switch-off", "power-off", "shut-down", "shutdown", "mute", "kill", "off"]),
        ("exist", ["add", "added", "adding", "create", "created", "creating", "insert", "inserting", "include", "including", "append", "attach", "new"],
                  ["remove", "removed", "removing", "delete", "deleted", "deleting", "drop", "dropping", "exclude", "excluding", "erase", "detach", "purge", "destroy"]),
        ("open", ["open", "opened", "opening", "reopen"], ["close", "closed", "closing", "shut"]),
        ("lock", ["lock", "locked", "block", "blocked", "ban", "banned", "freeze", "frozen", "restrict"], ["unlock", "unlocked", "unblock", "unblocked", "unban", "unfreeze", "unrestrict"]),
        ("amount", ["increase", "increased", "increasing", "raise", "raising", "grow", "expand", "more", "higher", "larger", "bigger", "maximum", "max", "maximize", "maximise", "scale-up", "upgrade", "longer", "faster", "extend"],
                   ["decrease", "decreased", "decreasing", "reduce", "reducing", "lower", "lowering", "shrink", "less", "fewer", "smaller", "minimum", "min", "minimize", "minimise", "scale-down", "downgrade", "shorter", "slower", "cut"]),
        ("allow", ["allow", "allowed", "permit", "grant", "approve", "approved", "accept", "accepted", "whitelist", "allowlist"], ["deny", "denied", "forbid", "revoke", "revoked", "reject", "rejected", "refuse", "decline", "declined", "blacklist", "denylist"]),
        ("visible", ["show", "showing", "display", "unhide", "reveal", "visible", "expand"], ["hide", "hiding", "hidden", "conceal", "invisible", "collapse"]),
        ("connect", ["connect", "connected", "subscribe", "login", "log-in", "sign-in", "mount", "install", "installing", "register"],
                    ["disconnect", "disconnected", "unsubscribe", "logout", "log-out", "sign-out", "unmount", "uninstall", "uninstalling", "deregister", "unregister"]),
        ("direction", ["import", "upload", "inbound", "incoming", "receive", "received", "pull"], ["export", "download", "outbound", "outgoing", "send", "sent", "push"]),
        ("crypt", ["encrypt", "encode", "compress", "serialize", "serialise", "zip", "encrypted"], ["decrypt", "decode", "decompress", "deserialize", "deserialise", "unzip", "decrypted"]),
        ("trade", ["buy", "bought", "purchase", "buying"], ["sell", "sold", "selling"]),
        ("money", ["credit", "credited", "deposit", "refund", "refunded", "refunding"], ["debit", "debited", "withdraw", "withdrawal", "charge", "charged", "charging"]),
        ("time", ["before", "earlier", "since", "oldest"], ["after", "later", "until", "newest"]),
        ("end", ["first", "beginning", "start-of"], ["last", "end-of", "final"]),
        ("order", ["ascending", "asc", "increasing-order"], ["descending", "desc", "decreasing-order", "reverse"]),
        ("truth", ["true", "yes", "valid", "success", "successful", "succeeded", "passed", "passing", "positive", "win", "won"], ["false", "invalid", "failure", "failed", "fail", "failing", "fails", "negative", "lose", "lost"]),
        ("scope", ["public", "shared", "external"], ["private", "internal", "personal"]),
        ("side", ["left", "top", "above", "north", "east", "upper", "inside"], ["right", "bottom", "below", "south", "west", "lower-side", "outside"]),
        ("mode", ["dark", "night"], ["light", "day"]),
        ("sort", ["best", "most", "highest", "largest", "biggest", "top"], ["worst", "least", "lowest", "smallest", "fewest"]),
        ("merge", ["merge", "combine", "join-together", "concatenate"], ["split", "separate", "divide"]),
        ("merit", ["pros", "advantages", "benefits", "strengths"], ["cons", "disadvantages", "drawbacks", "weaknesses", "risks"]),
    ];

    private static readonly Dictionary<string, string> Poles = BuildPoles();

    // Particles that give a verb its pole ("turn on", "shut down", "scale up"); "on" alone is too often a preposition.
    private static readonly HashSet<string> PhrasalVerbs = new(StringComparer.Ordinal) { "turn", "turned", "turning", "switch", "switched", "switching", "power", "powered", "toggle", "flip", "shut", "scale", "scaled", "scaling", "log", "logged", "sign", "signed" };

    public static IReadOnlyList<string> Of(IReadOnlyList<GuardToken> words)
    {
        var negations = 0;
        var poles = new SortedSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < words.Count; i++)
        {
            var w = words[i].Lower.Replace('’', '\'');
            if (Negations.Contains(w) || w.EndsWith("n't", StringComparison.Ordinal)) negations++;
            var phrasal = (w is "on" or "off" or "up" or "down" or "in" or "out") && i > 0 && PhrasalVerbs.Contains(words[i - 1].Lower) ? words[i - 1].Lower switch
            {
                "log" or "logged" => "log-" + w, "sign" or "signed" => "sign-" + w, "scale" or "scaled" or "scaling" => "scale-" + w,
                "shut" => "shut-" + w, _ => "turn-" + w,
            } : null;
            // "the best way to ..." frames a question; it does not ask for the best of something.
            if (i + 1 < words.Count && words[i + 1].Lower is "way" or "ways") continue;
            if (phrasal is not null && (Poles.TryGetValue(phrasal, out var p1) || Poles.TryGetValue(phrasal.Replace("log-", "sign-", StringComparison.Ordinal), out p1))) poles.Add(p1);
            else if (Poles.TryGetValue(w, out var p2)) poles.Add(p2);
        }
        var result = new List<string> { "neg:" + (negations % 2) };
        result.AddRange(poles);
        return result;
    }

    private static Dictionary<string, string> BuildPoles()
    {
        var poles = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (axis, plus, minus) in Axes)
        {
            foreach (var w in plus) poles.TryAdd(w, axis + "+");
            foreach (var w in minus) poles.TryAdd(w, axis + "-");
        }
        poles["turn-on"] = "active+";
        poles["turn-off"] = "active-";
        poles["turn-up"] = "amount+";
        poles["turn-down"] = "amount-";
        poles["shut-down"] = "active-";
        poles["shut-off"] = "active-";
        poles["scale-up"] = "amount+";
        poles["scale-down"] = "amount-";
        poles["scale-out"] = "amount+";
        poles["scale-in"] = "amount-";
        poles["sign-in"] = "connect+";
        poles["sign-on"] = "connect+";
        poles["sign-up"] = "connect+";
        poles["sign-out"] = "connect-";
        poles["sign-off"] = "connect-";
        return poles;
    }
}

/// <summary>A cheap language id: the dominant script, then for Latin script the language whose common function words
/// and letters the text shows most (English when nothing else shows).</summary>
internal static class LanguageId
{
    private static readonly (string Language, HashSet<string> Words, string Letters)[] Latin =
    [
        ("en", Set("the a an is are was to of and in for on with how what why can my it this that do does you i please"), ""),
        ("fr", Set("le la les un une des est et de du pour avec comment pourquoi que qui dans sur mon ma mes je vous pas ce cette il elle au aux"), "éèêàçùœâî"),
        ("de", Set("der die das ein eine ist und zu mit wie warum ich sie nicht den dem für auf im mein meine bitte kann ist"), "äöüß"),
        ("es", Set("el la los las un una es y de para con cómo como por qué que en mi mis yo usted no puedo del al"), "ñ¿¡áíóú"),
        ("it", Set("il lo la gli le un una è e di per con come perché che in mio mia io non del della sono"), "àèìòù"),
        ("pt", Set("o a os as um uma é e de para com como por que em meu minha eu não do da você"), "ãõçâê"),
        ("nl", Set("de het een is en van voor met hoe waarom ik niet mijn je kan wat"), "ĳ"),
    ];

    private static HashSet<string> Set(string words) => new(words.Split(' '), StringComparer.Ordinal);

    public static string Of(string text, IReadOnlyList<GuardToken> words)
    {
        var script = Script(text);
        if (script != "latn") return script;
        var best = "en";
        var bestScore = 0.0;
        foreach (var (language, set, letters) in Latin)
        {
            double score = 0;
            foreach (var w in words) if (set.Contains(w.Lower)) score++;
            if (letters.Length > 0) foreach (var c in text) if (letters.Contains(char.ToLowerInvariant(c))) score += 0.5;
            if (score > bestScore + 0.25) { best = language; bestScore = score; }
        }
        return best;
    }

    private static string Script(string text)
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var c in text)
        {
            if (!char.IsLetter(c)) continue;
            var s = c switch
            {
                <= '\u024F' => "latn",
                >= '\u0370' and <= '\u03FF' => "grek",
                >= '\u0400' and <= '\u04FF' => "cyrl",
                >= '\u0590' and <= '\u05FF' => "hebr",
                >= '\u0600' and <= '\u06FF' => "arab",
                >= '\u0900' and <= '\u097F' => "deva",
                >= '\u0E00' and <= '\u0E7F' => "thai",
                >= '\u3040' and <= '\u30FF' => "jpan",
                >= '\uAC00' and <= '\uD7AF' => "kore",
                >= '\u4E00' and <= '\u9FFF' => "hani",
                _ => "other",
            };
            counts[s] = counts.GetValueOrDefault(s) + (s is "hani" or "jpan" or "kore" ? 3 : 1);
        }
        if (counts.Count == 0) return "none";
        // Japanese mixes kana with kanji: any kana makes it Japanese.
        if (counts.ContainsKey("jpan") && counts.ContainsKey("hani")) return "jpan";
        return counts.MaxBy(kv => kv.Value).Key;
    }
}
