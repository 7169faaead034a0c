using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using TokenOps.Core.Outcomes;
using TokenOps.Gateway.Configuration;
using TokenOps.Storage;

namespace TokenOps.Gateway.Outcomes;

/// <summary>
/// Outcomes for the gateway and the CLI: recording (people, team and project mapping applied), listing, and the report
/// (linking computed at report time over the ledger, streamed, so a late outcome relinks past spend consistently).
/// Also the outcome values token poker's outcome-value-per-dollar policy scores with.
/// </summary>
public sealed class OutcomeService(OutcomeOptions options, IOutcomeStore store, ISpendReader spend, IKeyStore people) : IOutcomeValueLookup
{
    private readonly IOutcomeStore _store = store;
    private readonly ISpendReader _spend = spend;
    private readonly IKeyStore _people = people;
    private readonly OutcomeValuation _valuation = options.Valuation();

    public OutcomeOptions Options => options;
    public IOutcomeStore Store => _store;
    public OutcomeValuation Valuation => _valuation;

    /// <summary>Stores the outcome after mapping its person, team and project; false when it was already recorded (nothing changes).</summary>
    public (Outcome Outcome, bool Added) Record(Outcome incoming, string? deliveryId = null)
    {
        var outcome = Map(incoming);
        return (outcome, _store.Add(outcome, deliveryId));
    }

    /// <summary>External identity → TokenOps person: the People mapping, else (for an e-mail) the mapping or the local part, else the same name.</summary>
    public string? Person(string? external)
    {
        if (string.IsNullOrWhiteSpace(external)) return null;
        var e = external.Trim();
        if (options.People.TryGetValue(e, out var mapped)) return mapped;
        var at = e.IndexOf('@');
        if (at > 0)
        {
            var local = e[..at];
            return options.People.TryGetValue(local, out var byLocal) ? byLocal : local;
        }
        return e;
    }

    public Outcome Map(Outcome o)
    {
        var person = Person(o.Person);
        var team = o.Team;
        if (team is null && person is not null)
            team = _people.People().FirstOrDefault(p => string.Equals(p.Name, person, StringComparison.OrdinalIgnoreCase)).Team;
        var project = o.Project is { } p0 ? options.Projects.GetValueOrDefault(p0, p0) : o.Repository is { } repo ? ProjectOf(repo) : null;
        return o with { Person = person, Team = team, Project = project };
    }

    private string ProjectOf(string repository)
    {
        if (options.Projects.TryGetValue(repository, out var p)) return p;
        var name = repository[(repository.LastIndexOf('/') + 1)..];
        return options.Projects.GetValueOrDefault(name, name);
    }

    /// <summary>A deterministic id for a manual outcome without one, so the same add run twice is one outcome.</summary>
    public static string DerivedId(OutcomeType type, string title, string? person, DateTimeOffset completedAt)
    {
        var text = string.Create(CultureInfo.InvariantCulture, $"{OutcomeTypes.Name(type)}|{title}|{person}|{completedAt.UtcDateTime:O}");
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..16];
    }

    /// <summary>
    /// A linker over every recorded outcome with the configured fallback window: the one the report links with, so the
    /// FOCUS export's x_outcome and `report --by outcome` link each ledger row exactly as the outcomes report does.
    /// </summary>
    public OutcomeLinker Linker() => new(_store.List(), options.FallbackWindow);

    /// <summary>
    /// The report for [since, until). The baseline is an explicit period compared with the report period, else, when the
    /// configured adoption date falls inside the period, [since, adoption) against [adoption, until).
    /// </summary>
    public OutcomeReport Report(ReportPeriod period, string? by, ReportPeriod? baselinePeriod = null)
    {
        var linker = Linker();
        (ReportPeriod, ReportPeriod, string)? baseline = null;
        string? note = null;
        if (baselinePeriod is not null)
            baseline = (baselinePeriod, period, "baseline period compared with the report period");
        else if (options.AdoptionDate is { } adoption)
        {
            if (adoption > period.Since && adoption < period.Until)
                baseline = (period with { Until = adoption }, period with { Since = adoption },
                    string.Create(CultureInfo.InvariantCulture, $"before and after the adoption date {adoption:yyyy-MM-dd}"));
            else
                note = string.Create(CultureInfo.InvariantCulture, $"adoption date {adoption:yyyy-MM-dd} is outside the report period: widen the period to compare before and after");
        }
        else note = "no baseline: set outcomes.adoptionDate in tokenops.json or give a baseline period";
        var periods = new List<ReportPeriod> { period };
        if (baseline is { } b) { periods.Add(b.Item1); periods.Add(b.Item2); }
        var analysis = new OutcomeLedgerAnalysis(linker, periods.Distinct().ToList());
        foreach (var row in _spend.Read(analysis.ReadFrom, analysis.ReadUntil)) analysis.Add(row);
        return OutcomeReport.Build(analysis, _valuation, period, by, baseline, note);
    }

    public OutcomeWeekValue ValueFor(string person, DateTimeOffset from, DateTimeOffset until)
    {
        var outcomes = _store.List(from, until, person);
        return new OutcomeWeekValue(outcomes.Sum(o => _valuation.Value(o).Usd), outcomes.Count);
    }
}
