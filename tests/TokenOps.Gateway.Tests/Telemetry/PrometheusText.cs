using System.Globalization;
using System.Text.RegularExpressions;

namespace TokenOps.Gateway.Tests.Telemetry;

/// <summary>A minimal reader of the Prometheus text exposition format: one sample per line, labels as a dictionary.</summary>
public sealed partial record PrometheusSample(string Name, IReadOnlyDictionary<string, string> Labels, double Value)
{
    public static List<PrometheusSample> Parse(string text)
    {
        var samples = new List<PrometheusSample>();
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line[0] == '#') continue;
            var m = SampleLine().Match(line);
            Assert.True(m.Success, $"not a Prometheus sample line: {line}");
            var labels = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (Match l in Label().Matches(m.Groups["labels"].Value))
                labels[l.Groups[1].Value] = l.Groups[2].Value.Replace("\\\"", "\"", StringComparison.Ordinal).Replace("\\\\", "\\", StringComparison.Ordinal);
            samples.Add(new PrometheusSample(m.Groups["name"].Value, labels, double.Parse(m.Groups["value"].Value, CultureInfo.InvariantCulture)));
        }
        return samples;
    }

    public string? this[string label] => Labels.TryGetValue(label, out var v) ? v : null;

    [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>.*)\})?\s+(?<value>\S+)(\s+\d+)?$")]
    private static partial Regex SampleLine();

    [GeneratedRegex(@"([a-zA-Z_][a-zA-Z0-9_]*)=""((?:[^""\\]|\\.)*)""")]
    private static partial Regex Label();
}
