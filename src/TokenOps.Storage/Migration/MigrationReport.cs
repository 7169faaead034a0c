using System.Globalization;

namespace TokenOps.Storage.Migration;

/// <summary>The table the command prints: what each table holds and what this run copied, then every check.</summary>
public static class MigrationReport
{
    public static void Write(TextWriter output, MigrationResult result)
    {
        output.WriteLine($"Journal: {N(result.JournalRowsMerged)} rows merged into SQLite before copying");
        output.WriteLine($"Schema: PostgreSQL records all {N(result.SchemaSteps)} steps of the SQLite database (its own history kept)");
        var width = Math.Max(24, result.Tables.Max(t => t.Table.Length) + 2);
        output.WriteLine($"{"TABLE".PadRight(width)}{"ROWS",14}{"COPIED NOW",14}");
        foreach (var t in result.Tables) output.WriteLine($"{t.Table.PadRight(width)}{N(t.Read),14}{N(t.Inserted),14}");
        output.WriteLine($"Copied now: {N(result.Tables.Sum(t => t.Inserted))} rows");
        output.WriteLine($"Sequences advanced: {(result.SequencesAdvanced.Count == 0 ? "none (no table has one)" : string.Join(", ", result.SequencesAdvanced))}");
        var checkWidth = Math.Max(width, result.Checks.Max(c => c.What.Length) + 2);
        output.WriteLine();
        output.WriteLine($"{"VERIFICATION".PadRight(checkWidth)}{"EXPECTED",22}{"POSTGRESQL",22}  RESULT");
        foreach (var c in result.Checks)
            output.WriteLine($"{c.What.PadRight(checkWidth)}{N(c.Expected),22}{N(c.Actual),22}  {(c.Passed ? "ok" : "DIFFERS")}");
        output.WriteLine(result.Verified
            ? $"Verified: {result.Checks.Count} checks passed"
            : $"Verification FAILED: {result.Checks.Count(c => !c.Passed)} of {result.Checks.Count} checks differ ({string.Join("; ", result.Checks.Where(c => !c.Passed).Select(c => c.What))})");
    }

    private static string N(long value) => value.ToString("N0", CultureInfo.InvariantCulture);
}
