using System.Text.Json;

namespace TokenOps.Routing.Evaluation;

/// <summary>
/// Reads labelled prompts in the formats of RouteLLM's evaluation files: a CSV with a `prompt` column and one
/// True/False correctness column per model (MMLU's mmlu_&lt;domain&gt;.csv, GSM8K's gsm8k_responses*.csv). Prompts listed
/// in a contaminated_prompts.jsonl beside a file (its eval_prompt values) overlap public router-training data and are
/// left out, as RouteLLM does.
/// </summary>
public static class RoutingDataset
{
    public const string DefaultWeakColumn = "mistralai/Mixtral-8x7B-Instruct-v0.1";
    public const string DefaultStrongColumn = "gpt-4-1106-preview";

    /// <summary>The evaluation files under a data directory laid out like ../shared/data/routing: mmlu/*.csv and gsm8k/*.csv.</summary>
    public static IReadOnlyList<string> FilesIn(string directory)
    {
        if (!Directory.Exists(directory)) throw new RoutingDataException($"no routing data directory '{directory}'");
        var files = new List<string>();
        foreach (var sub in new[] { "mmlu", "gsm8k" })
        {
            var path = Path.Combine(directory, sub);
            if (Directory.Exists(path)) files.AddRange(Directory.GetFiles(path, "*.csv").Order(StringComparer.Ordinal));
        }
        if (files.Count == 0) throw new RoutingDataException($"no mmlu/*.csv or gsm8k/*.csv files under '{directory}'");
        return files;
    }

    public static IReadOnlyList<LabelledPrompt> Load(IEnumerable<string> files, string weakColumn = DefaultWeakColumn, string strongColumn = DefaultStrongColumn)
    {
        var rows = new List<LabelledPrompt>();
        var contaminatedByDirectory = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        foreach (var file in files)
        {
            if (!File.Exists(file)) throw new RoutingDataException($"no such file '{file}'");
            var directory = Path.GetDirectoryName(Path.GetFullPath(file))!;
            if (!contaminatedByDirectory.TryGetValue(directory, out var contaminated))
                contaminatedByDirectory[directory] = contaminated = Contaminated(Path.Combine(directory, "contaminated_prompts.jsonl"));
            rows.AddRange(LoadFile(file, weakColumn, strongColumn).Where(p => !contaminated.Contains(p.Text)));
        }
        return rows;
    }

    /// <summary>A file's domain: "mmlu/&lt;domain&gt;" for mmlu_&lt;domain&gt;.csv, "gsm8k" for gsm8k*.csv, else the file's name.</summary>
    public static string DomainOf(string file)
    {
        var name = Path.GetFileNameWithoutExtension(file);
        if (name.StartsWith("mmlu_", StringComparison.OrdinalIgnoreCase)) return "mmlu/" + name["mmlu_".Length..];
        if (name.StartsWith("gsm8k", StringComparison.OrdinalIgnoreCase)) return "gsm8k";
        return name;
    }

    private static IEnumerable<LabelledPrompt> LoadFile(string file, string weakColumn, string strongColumn)
    {
        using var reader = new StreamReader(file);
        using var rows = TokenOps.Core.Exports.CsvWriter.Read(reader).GetEnumerator();
        if (!rows.MoveNext()) yield break;
        var header = rows.Current;
        var prompt = Array.IndexOf(header, "prompt");
        var weak = Array.IndexOf(header, weakColumn);
        var strong = Array.IndexOf(header, strongColumn);
        if (prompt < 0 || weak < 0 || strong < 0)
            throw new RoutingDataException($"'{file}' needs the columns prompt, {weakColumn} and {strongColumn} (it has: {string.Join(", ", header)})");
        var domain = DomainOf(file);
        var line = 1;
        while (rows.MoveNext())
        {
            line++;
            var row = rows.Current;
            if (row.Length == 1 && row[0].Length == 0) continue;
            if (row.Length <= Math.Max(prompt, Math.Max(weak, strong)))
                throw new RoutingDataException($"'{file}' record {line}: {row.Length} fields, expected {header.Length}");
            yield return new LabelledPrompt(row[prompt], domain, Bool(row[weak], file, line), Bool(row[strong], file, line));
        }
    }

    private static bool Bool(string value, string file, int line) => value.Trim().ToLowerInvariant() switch
    {
        "true" or "1" => true,
        "false" or "0" => false,
        _ => throw new RoutingDataException($"'{file}' record {line}: '{value}' is not True or False"),
    };

    private static HashSet<string> Contaminated(string path)
    {
        var set = new HashSet<string>(StringComparer.Ordinal);
        if (!File.Exists(path)) return set;
        foreach (var line in File.ReadLines(path))
        {
            if (string.IsNullOrWhiteSpace(line)) continue;
            using var doc = JsonDocument.Parse(line);
            if (doc.RootElement.TryGetProperty("eval_prompt", out var p) && p.ValueKind == JsonValueKind.String) set.Add(p.GetString()!);
        }
        return set;
    }
}

/// <summary>An evaluation file that cannot be read as labelled prompts: the message names the file and the problem.</summary>
public sealed class RoutingDataException(string message) : Exception(message);
