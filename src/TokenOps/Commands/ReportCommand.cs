using System.CommandLine;

namespace TokenOps.Cli.Commands;

/// <summary>`tokenops report`: spend reports from the rollups (see <see cref="RollupReport"/>).</summary>
internal static class ReportCommand
{
    public static Command Create()
    {
        var report = new Command("report", "Spend reports by team, person, project, model, provider, feature, outcome, day or hour");
        RollupReport.Attach(report);
        return report;
    }
}
