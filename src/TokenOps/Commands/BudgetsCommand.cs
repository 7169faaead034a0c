using System.CommandLine;
using System.Globalization;
using TokenOps.Core.Budgets;
using TokenOps.Gateway.Budgets;
using TokenOps.Gateway.Configuration;
using TokenOps.Storage;

namespace TokenOps.Cli.Commands;

/// <summary>
/// `tokenops budgets list|show|set|remove`. Budgets set here live in the data directory's SQLite file; a gateway
/// running on the same directory picks a change up within about a second.
/// </summary>
internal static class BudgetsCommand
{
    public static Command Create() => new("budgets", "Manage budgets: organisation pool, team caps, personal stipends, project budgets")
    {
        List(), Show(), Set(), Remove(), BudgetSimulateCommand.Create(),
    };

    private static Command Set()
    {
        var data = CommonOptions.Data();
        var config = CommonOptions.Config();
        var org = new Option<string?>("--org") { Description = "The organisation pool", Arity = ArgumentArity.ZeroOrOne };
        var team = new Option<string?>("--team") { Description = "A team's cap" };
        var person = new Option<string?>("--person") { Description = "A person's stipend (shared by all their keys)" };
        var project = new Option<string?>("--project") { Description = "A project's budget (X-TokenOps-Project)" };
        var limit = new Option<decimal>("--limit") { Description = "Limit in USD per period", Required = true };
        var period = new Option<string>("--period") { Description = "daily, weekly, monthly (calendar) or rolling:N (last N days)", DefaultValueFactory = _ => "monthly" };
        var mode = new Option<string>("--mode") { Description = "hard (refuse with HTTP 402) or soft", DefaultValueFactory = _ => "hard" };
        mode.AcceptOnlyFromAmong("hard", "soft");
        var softAction = new Option<string>("--soft-action") { Description = "What a soft budget does past its limit", DefaultValueFactory = _ => "warn" };
        softAction.AcceptOnlyFromAmong("warn", "degrade", "require-justification");
        var ceiling = new Option<decimal?>("--rollover-ceiling") { Description = "Carry unspent budget into the next period, at most this many USD (calendar periods)" };
        var zone = new Option<string?>("--time-zone") { Description = "IANA time zone of the calendar period (default budgets.timeZone, else UTC)" };
        var command = new Command("set", "Create or change a budget") { org, team, person, project, limit, period, mode, softAction, ceiling, zone, data, config };
        command.SetAction(parse =>
        {
            var targets = new (string Level, string? Name, bool Given)[]
            {
                ("org", parse.GetValue(org), parse.GetResult(org) is not null), ("team", parse.GetValue(team), parse.GetValue(team) is not null),
                ("person", parse.GetValue(person), parse.GetValue(person) is not null), ("project", parse.GetValue(project), parse.GetValue(project) is not null),
            }.Where(t => t.Given).ToList();
            if (targets.Count != 1) throw new CliException("name exactly one of --org, --team NAME, --person NAME, --project NAME", 2);
            var options = LoadOptions(parse.GetValue(config));
            var stored = StoredBudgets.From(targets[0].Level, targets[0].Name, new BudgetOptions
            {
                LimitUsd = parse.GetValue(limit), Period = parse.GetValue(period)!, Mode = parse.GetValue(mode)!, SoftAction = parse.GetValue(softAction)!,
                Rollover = parse.GetValue(ceiling) is not null, RolloverCeilingUsd = parse.GetValue(ceiling) ?? 0, TimeZone = parse.GetValue(zone),
            }, options.Budgets.TimeZone);
            Store(parse.GetValue(data), parse.GetValue(config)).Set(stored);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"Budget {stored.Id}: {parse.GetValue(limit)} USD {stored.Period} ({stored.TimeZone}), {Mode(stored.Mode, stored.SoftAction)}{(stored.Rollover ? $", rollover up to {parse.GetValue(ceiling)} USD" : "")}."));
            return 0;
        });
        return command;
    }

    private static Command List()
    {
        var data = CommonOptions.Data();
        var config = CommonOptions.Config();
        var command = new Command("list", "List budgets from tokenops.json (with --config) and those set with 'budgets set'") { data, config };
        command.SetAction(parse =>
        {
            var store = Store(parse.GetValue(data), parse.GetValue(config));
            var storedIds = store.List().Select(b => b.Id).ToHashSet(StringComparer.Ordinal);
            var set = BudgetPolicyBuilder.Build(LoadOptions(parse.GetValue(config)), store.List(), store.Version());
            Console.WriteLine($"{"BUDGET",-24} {"LIMIT USD",12} {"PERIOD",-11} {"TIME ZONE",-18} {"MODE",-28} {"ROLLOVER",-10} SOURCE");
            foreach (var p in set.Configured.OrderBy(p => p.Id, StringComparer.Ordinal))
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{p.Id,-24} {p.Limit,12:0.00} {p.Period,-11} {p.Period.TimeZone.Id,-18} {Mode(p.Mode, p.SoftAction),-28} {(p.Rollover.Enabled ? $"<= {p.Rollover.Ceiling:0.00}" : "off"),-10} {(storedIds.Contains(p.Id) ? "set" : "config")}"));
            if (set.Poker is { } poker)
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{"poker:<person>",-24} {poker.WeeklyHand,12:0.00} {"weekly",-11} {poker.TimeZone.Id,-18} {"hard",-28} {"off",-10} poker"));
            return 0;
        });
        return command;
    }

    private static Command Show()
    {
        var data = CommonOptions.Data();
        var config = CommonOptions.Config();
        var id = new Argument<string>("id") { Description = "Budget id, for example org, team:core, person:ada, project:search" };
        var command = new Command("show", "Show one budget and its current period (spend from the ledger)") { id, data, config };
        command.SetAction(parse =>
        {
            var store = Store(parse.GetValue(data), parse.GetValue(config));
            var set = BudgetPolicyBuilder.Build(LoadOptions(parse.GetValue(config)), store.List(), store.Version());
            var budgetId = parse.GetValue(id)!;
            var p = set.Find(budgetId) ?? throw new CliException($"no budget with id '{budgetId}' (see 'tokenops budgets list')", 2);
            var book = new BudgetBook(store);
            book.Apply(set);
            var now = TimeProvider.System.GetUtcNow();
            var s = book.Snapshot(book.CounterFor(p, now), now);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"""
                budget      {p.Id}
                level       {p.Level.ToString().ToLowerInvariant()} {p.Name}
                mode        {Mode(p.Mode, p.SoftAction)}
                limit       {s.Limit:0.000000} USD per {p.Period} ({p.Period.TimeZone.Id}){(p.Rollover.Enabled ? $", rollover up to {p.Rollover.Ceiling:0.00} USD" : "")}
                period      {s.PeriodStart.UtcDateTime:yyyy-MM-dd HH:mm}Z .. {s.PeriodEnd.UtcDateTime:yyyy-MM-dd HH:mm}Z
                spent       {s.Spent:0.000000} USD
                remaining   {s.Limit - s.Spent:0.000000} USD (before requests in flight; 'tokenops status --gateway URL' includes them)
                """));
            return 0;
        });
        return command;
    }

    private static Command Remove()
    {
        var data = CommonOptions.Data();
        var config = CommonOptions.Config();
        var id = new Argument<string>("id") { Description = "Budget id set with 'budgets set'" };
        var command = new Command("remove", "Remove a budget set with 'budgets set' (tokenops.json budgets are changed in the file)") { id, data, config };
        command.SetAction(parse =>
        {
            var budgetId = parse.GetValue(id)!;
            if (!Store(parse.GetValue(data), parse.GetValue(config)).Delete(budgetId)) throw new CliException($"no stored budget with id '{budgetId}'", 2);
            Console.WriteLine($"Removed {budgetId}.");
            return 0;
        });
        return command;
    }

    internal static GatewayOptions LoadOptions(string? config) => config is null ? new GatewayOptions() : ConfigurationLoader.Load(config);

    internal static IBudgetStore Store(string? data, string? config) => CommonOptions.OpenStorage(data, config).Budgets;

    private static string Mode(BudgetMode mode, SoftAction action) => mode == BudgetMode.Hard ? "hard" : "soft, " + BudgetPolicyBuilder.Format(action);
}
