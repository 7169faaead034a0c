using System.Text.Json;

namespace TokenOps.Routing.Similarity;

/// <summary>One hand-labelled prompt pair: should a cached answer to A be served for B?</summary>
/// <param name="Kind">paraphrase, negation, swapped-number, other-entity, other-language, other-unit or unrelated-topic-similar.</param>
/// <param name="Split">"tune" (thresholds may be chosen on it) or "heldout" (only ever reported).</param>
public sealed record LabelledPair(string A, string B, bool Same, string Kind, string Domain, string Split)
{
    public bool HeldOut => Split == "heldout";

    /// <summary>Reads data/semantic/pairs.jsonl: one object a line with a, b, label (same|different), kind, domain, split.</summary>
    public static IReadOnlyList<LabelledPair> Load(string path)
    {
        var pairs = new List<LabelledPair>();
        var lineNumber = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNumber++;
            if (line.Length == 0) continue;
            using var doc = JsonDocument.Parse(line);
            var root = doc.RootElement;
            string Text(string name) => root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String
                ? v.GetString()! : throw new FormatException($"{path}:{lineNumber}: missing string field '{name}'");
            var label = Text("label");
            if (label is not ("same" or "different"))
                throw new FormatException($"{path}:{lineNumber}: label must be 'same' or 'different', not '{label}'");
            pairs.Add(new LabelledPair(Text("a"), Text("b"), label == "same", Text("kind"), Text("domain"), Text("split")));
        }
        return pairs;
    }
}
