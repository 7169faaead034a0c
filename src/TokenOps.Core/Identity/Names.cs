using System.Globalization;

namespace TokenOps.Core.Identity;

/// <summary>
/// What a name (person, team, project, budget) may hold. Names are data: any letter of any script is fine (josé,
/// 山田), but not characters that change how text is read or framed: control characters (newlines, tabs, NUL),
/// invisible format characters (bidi overrides like U+202E, zero-width like U+200B), line/paragraph separators and
/// unpaired surrogates.
/// </summary>
public static class Names
{
    /// <summary>Why <paramref name="value"/> is not an acceptable name, or null when it is. Never echoes the value.</summary>
    public static string? Problem(string? value)
    {
        if (value is null) return null;
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                i++;
                continue;
            }
            if (char.IsSurrogate(c)) return $"must not contain an unpaired surrogate (at position {i + 1})";
            if (IsForbidden(c)) return $"must not contain control or invisible characters (U+{(int)c:X4} at position {i + 1})";
        }
        return null;
    }

    /// <summary>Throws <see cref="InvalidNameException"/> when the name is not acceptable.</summary>
    public static void Check(string field, string? value)
    {
        if (Problem(value) is { } problem) throw new InvalidNameException(field, $"{field} {problem}");
    }

    private static bool IsForbidden(char c) => char.IsControl(c) || CharUnicodeInfo.GetUnicodeCategory(c) is
        UnicodeCategory.Format or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator;
}

/// <summary>A refused name; <see cref="Field"/> says which (person, team, name, …). The message is one line.</summary>
public sealed class InvalidNameException(string field, string message) : ArgumentException(message)
{
    public string Field { get; } = field;
}
