namespace TokenOps.Core.Pricing;

/// <summary>
/// What a model id says about its family and age. The rule, one pass over the id (lower-cased, a first-party
/// <c>openai/</c> or <c>anthropic/</c> prefix removed):
/// <list type="bullet">
/// <item>letter runs are the family's words and number runs (digits, dots between digits) are its version: the family
/// is the words joined by '-' (<c>claude-sonnet-4-5-20250929</c> and <c>claude-3-5-sonnet-20241022</c> are both
/// <c>claude-sonnet</c>; <c>gpt-5.3-codex</c> is <c>gpt-codex</c>, <c>o4-mini</c> is <c>o-mini</c>). Every other
/// character separates. So a variant word (mini, nano, pro, codex, haiku) always stays in the family, and the price
/// classes it names never mix;</item>
/// <item>the first number run of four or more digits starts the release stamp (<c>20250929</c>, <c>2024-08-06</c>,
/// <c>0613</c>): it and every number after it are the stamp's digits, the numbers before it the version parts
/// (<c>4-5</c> and <c>5.2</c> are both [major, minor]);</item>
/// <item>an id without a word has no family; one without a number (<c>gpt-realtime</c>) ranks below every versioned or
/// dated member of its family and is never priced by estimate itself (<see cref="HasVersion"/>): it names no version, so
/// it cannot be a newer one.</item>
/// </list>
/// Newest: the greater version (part by part, a missing part is 0), then the later stamp (none before any; a full
/// date before a four-digit one), then the id that sorts first in ordinal order, so the choice is deterministic.
/// </summary>
public sealed class ModelFamily : IComparable<ModelFamily>
{
    private static readonly string[] FirstPartyPrefixes = ["openai/", "anthropic/"];
    private const int StampDigits = 4;

    private ModelFamily(string model, string name, int[] version, string stamp)
    {
        Model = model;
        Name = name;
        Version = version;
        Stamp = stamp;
    }

    /// <summary>The id this was read from, as given.</summary>
    public string Model { get; }

    /// <summary>The family: the id's words joined by '-' (e.g. <c>claude-sonnet</c>).</summary>
    public string Name { get; }

    /// <summary>The version parts before the stamp (e.g. [4, 5]); may be empty when the id has only a stamp.</summary>
    public IReadOnlyList<int> Version { get; }

    /// <summary>The release stamp's digits (e.g. <c>20250929</c>), or empty.</summary>
    public string Stamp { get; }

    /// <summary>True when the id has a version or a release stamp: only such an id can be newer than the catalog.</summary>
    public bool HasVersion => Version.Count > 0 || Stamp.Length > 0;

    /// <summary>Reads an id; false when it has no word (then it has no family).</summary>
    public static bool TryParse(string model, out ModelFamily family)
    {
        ArgumentNullException.ThrowIfNull(model);
        family = null!;
        var id = model.ToLowerInvariant();
        foreach (var prefix in FirstPartyPrefixes)
            if (id.StartsWith(prefix, StringComparison.Ordinal)) id = id[prefix.Length..];

        var words = new List<string>();
        var version = new List<int>();
        var stamp = new System.Text.StringBuilder();
        var i = 0;
        while (i < id.Length)
        {
            var c = id[i];
            if (char.IsAsciiLetterLower(c))
            {
                var start = i;
                while (i < id.Length && char.IsAsciiLetterLower(id[i])) i++;
                words.Add(id[start..i]);
            }
            else if (char.IsAsciiDigit(c))
            {
                var start = i;
                while (i < id.Length && (char.IsAsciiDigit(id[i]) || id[i] == '.' && i + 1 < id.Length && char.IsAsciiDigit(id[i + 1]))) i++;
                var run = id[start..i];
                var parts = run.Split('.');
                if (stamp.Length > 0 || parts[0].Length >= StampDigits) stamp.Append(run.Replace(".", "", StringComparison.Ordinal));
                else
                    foreach (var part in parts)
                        version.Add(part.Length > 9 ? int.MaxValue : int.Parse(part, System.Globalization.CultureInfo.InvariantCulture));
            }
            else i++;
        }

        if (words.Count == 0) return false;
        family = new ModelFamily(model, string.Join('-', words), [.. version], stamp.ToString());
        return true;
    }

    /// <summary>Positive when this id is newer than <paramref name="other"/> (same family assumed).</summary>
    public int CompareTo(ModelFamily? other)
    {
        if (other is null) return 1;
        for (var i = 0; i < Math.Max(Version.Count, other.Version.Count); i++)
        {
            var diff = (i < Version.Count ? Version[i] : 0).CompareTo(i < other.Version.Count ? other.Version[i] : 0);
            if (diff != 0) return diff;
        }
        // Stamps of different lengths (MMDD against YYYYMMDD) compare by length first: the longer one is a full date.
        var stamp = Stamp.Length != other.Stamp.Length ? Stamp.Length.CompareTo(other.Stamp.Length) : string.CompareOrdinal(Stamp, other.Stamp);
        return stamp != 0 ? Math.Sign(stamp) : -Math.Sign(string.CompareOrdinal(Model, other.Model));
    }

    public override string ToString() => $"{Name} {string.Join('.', Version)}{(Stamp.Length > 0 ? " @" + Stamp : "")}";
}
