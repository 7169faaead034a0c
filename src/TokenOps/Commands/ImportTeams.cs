using TokenOps.Core.Exports;
using TokenOps.Storage;

namespace TokenOps.Cli.Commands;

/// <summary>
/// The team imported rows carry: the person's team in the people table (the gateway's own attribution), else the
/// <c>--team-map</c> file, else <c>--team</c>. Rows keep the team they were imported with, as gateway rows do.
/// </summary>
internal static class ImportTeams
{
    public static string? Resolve(IKeyStore keys, string? person, string? mapFile, string? team)
    {
        if (person is not null)
        {
            foreach (var (name, personTeam) in keys.People())
                if (string.Equals(name, person, StringComparison.Ordinal)) return personTeam;
            if (mapFile is not null && ReadMap(mapFile).TryGetValue(person, out var mapped)) return mapped;
        }
        return string.IsNullOrWhiteSpace(team) ? null : team.Trim();
    }

    /// <summary>person,team per line (RFC 4180; blank lines and # comments ignored; a "person,team" header is allowed).</summary>
    internal static Dictionary<string, string> ReadMap(string path)
    {
        string text;
        try { text = File.ReadAllText(path); }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { throw new CliException($"--team-map: cannot read {path}: {ex.Message}", 2); }
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        var record = 0;
        var lines = string.Join('\n', text.Split('\n').Where(l => !l.TrimStart().StartsWith('#')));
        foreach (var fields in CsvWriter.Read(new StringReader(lines)))
        {
            record++;
            if (fields.Length == 1 && fields[0].Trim().Length == 0) continue;
            if (fields.Length != 2 || fields[0].Trim().Length == 0 || fields[1].Trim().Length == 0)
                throw new CliException($"--team-map {Path.GetFileName(path)}: record {record}: expected 'person,team'", 2);
            if (record == 1 && fields[0].Trim() == "person" && fields[1].Trim() == "team") continue;
            map[fields[0].Trim()] = fields[1].Trim();
        }
        return map;
    }
}
