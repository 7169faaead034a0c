using FsCheck;
using FsCheck.Xunit;
using TokenOps.Core.Outcomes;
using Outcome = TokenOps.Core.Outcomes.Outcome;

namespace TokenOps.Core.Tests.Outcomes;

/// <summary>
/// Over random outcomes and ledger rows (people, tickets, PRs, branches, repositories, overlapping windows): every dollar is
/// linked to exactly one outcome or reported unlinked, and the totals always equal the ledger total, to the nano-dollar.
/// </summary>
public sealed class ReconciliationPropertyTests
{
    private static readonly DateTimeOffset T0 = new(2026, 10, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly string[] People = ["ada", "bob", "zoe"];
    private static readonly string[] Repos = ["acme/shop", "acme/api"];

    [Property(MaxTest = 300)]
    public bool LinkedPlusUnlinked_EqualsTheLedgerTotal((byte Kind, byte Person, byte Start, byte Length, byte Number)[] outcomeSeeds,
        (byte Person, ushort Hour, int Cost, byte Attribution, byte Number)[] rowSeeds, byte periodStart, byte periodDays)
    {
        var outcomes = outcomeSeeds.Select(MakeOutcome).ToList();
        var rows = rowSeeds.Select((r, i) => MakeRow(r, i)).ToList();
        var period = new ReportPeriod(T0.AddDays(periodStart % 60), T0.AddDays(periodStart % 60 + 1 + periodDays % 60));
        var everything = new ReportPeriod(T0.AddYears(-1), T0.AddYears(1));
        var analysis = new OutcomeLedgerAnalysis(new OutcomeLinker(outcomes, TimeSpan.FromDays(14)), [period, everything]);
        foreach (var r in rows) analysis.Add(r);

        var inPeriod = rows.Where(r => period.Contains(r.StartedAt)).Sum(r => r.CostNanos);
        var p = analysis.Spend(period);
        var all = analysis.Spend(everything);
        var report = OutcomeReport.Build(analysis, OutcomeValuation.None, period, "team");
        var perOutcome = analysis.Linker.Outcomes.Sum(analysis.LinkedNanos);
        return p.TotalNanos == inPeriod
            && p.LinkedNanos + p.UnlinkedNanos == inPeriod
            && report.Spend.Reconciles && report.Spend.TotalNanos == inPeriod
            && report.Spend.LinkedUsd + report.Spend.UnlinkedUsd == report.Spend.TotalUsd
            && p.ByRuleNanos.Values.Sum() == inPeriod
            && p.ByPerson.Values.Sum(g => g.TotalNanos) == inPeriod
            && p.ByTeam.Values.Sum(g => g.LinkedNanos) == p.LinkedNanos
            && report.Groups.Sum(g => g.SpendUsd) == report.Spend.TotalUsd
            // Each row went to exactly one outcome: the per-outcome sums add up to the linked total, never more.
            && perOutcome == all.LinkedNanos
            && all.TotalNanos == rows.Sum(r => r.CostNanos);
    }

    [Property(MaxTest = 200)]
    public bool Linking_IsDeterministic_WhateverTheOutcomeOrder((byte Kind, byte Person, byte Start, byte Length, byte Number)[] outcomeSeeds,
        (byte Person, ushort Hour, int Cost, byte Attribution, byte Number)[] rowSeeds)
    {
        // Ids are unique in storage (a redelivery is the same outcome), so they are here too.
        var outcomes = outcomeSeeds.Select(MakeOutcome).DistinctBy(o => o.Id).ToList();
        var forward = new OutcomeLinker(outcomes, TimeSpan.FromDays(14));
        var backward = new OutcomeLinker(Enumerable.Reverse(outcomes), TimeSpan.FromDays(14));
        return rowSeeds.Select((r, i) => MakeRow(r, i)).All(r => forward.Link(r).Outcome?.Id == backward.Link(r).Outcome?.Id);
    }

    [Property(MaxTest = 200)]
    public bool SpendByOutcome_EqualsTheReportsLinkedCostPerOutcome_AndReconciles((byte Kind, byte Person, byte Start, byte Length, byte Number)[] outcomeSeeds,
        (byte Person, ushort Hour, int Cost, byte Attribution, byte Number)[] rowSeeds)
    {
        var outcomes = outcomeSeeds.Select(MakeOutcome).ToList();
        var rows = rowSeeds.Select((r, i) => MakeRow(r, i)).ToList();
        var linker = new OutcomeLinker(outcomes, TimeSpan.FromDays(14));
        var everything = new ReportPeriod(T0.AddYears(-1), T0.AddYears(1));
        var analysis = new OutcomeLedgerAnalysis(linker, [everything]);
        var spend = new OutcomeSpend(linker);
        foreach (var r in rows)
        {
            analysis.Add(r);
            spend.Add(r);
        }
        var lines = spend.Lines();
        var all = analysis.Spend(everything);
        return spend.Reconciles
            && spend.TotalNanos == rows.Sum(r => r.CostNanos)
            && spend.Requests == rows.Count
            && spend.LinkedNanos == all.LinkedNanos && spend.UnlinkedNanos == all.UnlinkedNanos
            && lines.Sum(l => l.Requests) + spend.UnlinkedRequests == rows.Count
            // The same linker, so the same money per outcome as the outcomes report, outcome by outcome.
            && lines.All(l => l.CostNanos == analysis.LinkedNanos(l.Outcome))
            && linker.Outcomes.Where(o => analysis.LinkedNanos(o) != 0).All(o => lines.Any(l => l.Outcome.Id == o.Id));
    }

    private static Outcome MakeOutcome((byte Kind, byte Person, byte Start, byte Length, byte Number) s)
    {
        var repo = Repos[s.Number % 2];
        var number = s.Number % 5 + 1;
        var start = T0.AddDays(s.Start % 60);
        var completed = start.AddHours(s.Length + 1);
        var person = s.Kind % 7 == 0 ? null : People[s.Person % People.Length];
        return (s.Kind % 3) switch
        {
            0 => new Outcome { Source = "github-pr", SourceId = $"{repo}#{number}", Key = $"{repo}#{number}", Type = OutcomeType.Pr, Person = person,
                Repository = repo, Branch = $"b{number}", StartedAt = s.Kind % 2 == 0 ? start : null, CompletedAt = completed, Team = "core" },
            1 => new Outcome { Source = "jira", SourceId = $"T-{number}", Key = $"T-{number}", Type = OutcomeType.Ticket, Person = person,
                StartedAt = s.Kind % 2 == 0 ? start : null, CompletedAt = completed, Team = "web" },
            _ => new Outcome { Source = "manual", SourceId = $"f{number}", Key = $"f{number}", Type = OutcomeType.Feature, Person = person, CompletedAt = completed },
        };
    }

    private static SpendRow MakeRow((byte Person, ushort Hour, int Cost, byte Attribution, byte Number) s, int index)
    {
        var n = s.Number % 6 + 1;
        var at = T0.AddHours(s.Hour % (24 * 70));
        string? ticket = null, pr = null, feature = null, tags = null;
        switch (s.Attribution % 7)
        {
            case 1: ticket = $"T-{n}"; break;
            case 2: pr = $"{n}"; break;
            case 3: feature = $"f{n}"; break;
            case 4: tags = $"branch=b{n}"; break;
            case 5: tags = $"repo={Repos[n % 2]}"; break;
            case 6: tags = $"pr={Repos[n % 2]}#{n},ticket=T-{n}"; break;
        }
        var person = s.Person % 4 == 3 ? null : People[s.Person % People.Length];
        return new SpendRow($"r{index}", at, person, person is null ? null : "core", null, feature, ticket, pr, tags, Math.Abs((long)s.Cost) % 5_000_000_000);
    }
}
