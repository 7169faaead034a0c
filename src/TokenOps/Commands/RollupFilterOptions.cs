using System.CommandLine;
using TokenOps.Core.Reporting;
using TokenOps.Storage;

namespace TokenOps.Cli.Commands;

/// <summary>
/// The options every rollup-backed report shares (`report`, `savings`): --period, --format and the --team, --person,
/// --project and --model filters, with one way to turn them into a <see cref="RollupFilter"/>.
/// </summary>
internal sealed class RollupFilterOptions
{
    public Option<string> Period { get; } = new("--period") { Description = "Period: " + ReportPeriod.Help, DefaultValueFactory = _ => "month" };
    public Option<string> Format { get; } = new("--format") { Description = "table, json or csv", DefaultValueFactory = _ => "table" };
    public Option<string?> Team { get; } = new("--team") { Description = "Only this team" };
    public Option<string?> Person { get; } = new("--person") { Description = "Only this person" };
    public Option<string?> Project { get; } = new("--project") { Description = "Only this project" };
    public Option<string?> Model { get; }

    public RollupFilterOptions(string modelDescription = "Only this model")
    {
        Format.AcceptOnlyFromAmong("table", "json", "csv");
        Model = new Option<string?>("--model") { Description = modelDescription };
    }

    public IEnumerable<Option> All => [Period, Format, Team, Person, Project, Model];

    public string FormatOf(ParseResult parse) => parse.GetValue(Format) ?? "table";

    /// <summary>The period (exit 2 naming it when it cannot be read) and the filters, as one rollup filter.</summary>
    public (ReportPeriod Period, RollupFilter Filter) Read(ParseResult parse)
    {
        var spec = parse.GetValue(Period) ?? "month";
        if (!ReportPeriod.TryParse(spec, TimeProvider.System.GetUtcNow(), out var p))
            throw new CliException($"--period: '{spec}' is not one of {ReportPeriod.Help}", 2);
        return (p, new RollupFilter(p.From, p.To)
        {
            Team = parse.GetValue(Team), Person = parse.GetValue(Person), Project = parse.GetValue(Project), Model = parse.GetValue(Model),
        });
    }
}
