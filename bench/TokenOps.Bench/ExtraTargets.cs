using System.Globalization;

namespace TokenOps.Bench;

/// <summary>Parses --targets: "name|url[,url...]|key|pid[,pid...]" entries separated by ';'.</summary>
internal static class ExtraTargets
{
    public static List<Target> Parse(string specs)
    {
        var targets = new List<Target>();
        foreach (var spec in specs.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var parts = spec.Split('|');
            if (parts.Length != 4 || parts[0].Length == 0)
                throw new ArgumentException($"--targets entry '{spec}': expected name|url[,url...]|key|pid[,pid...]");
            var urls = parts[1].Split(',', StringSplitOptions.RemoveEmptyEntries).Select(u => new Uri(u.TrimEnd('/') + "/")).ToList();
            var pids = parts[3].Split(',', StringSplitOptions.RemoveEmptyEntries).Select(p => int.Parse(p, CultureInfo.InvariantCulture)).ToList();
            if (urls.Count == 0) throw new ArgumentException($"--targets entry '{spec}': no URL");
            targets.Add(new Target(parts[0], urls, parts[2], pids));
        }
        return targets;
    }
}
