using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using TokenOps.Core.Exports;
using TokenOps.Core.Planning;
using TokenOps.Core.Pricing;
using TokenOps.Core.Reporting;
using TokenOps.Gateway.Budgets;
using TokenOps.Gateway.Configuration;
using TokenOps.Gateway.Pricing;

namespace TokenOps.Cli.Commands;

/// <summary>
/// `tokenops budgets simulate --config proposed.json --period P`: replays the period's ledger rows through a proposed
/// policy (the budgets, tiers and poker of proposed.json, a tokenops.json; budgets set with `budgets set` are not part
/// of it) with the gateway's own budget classes (<see cref="PolicySimulator"/>), and reports who would have been warned,
/// degraded, asked for a justification or refused, when first, how many requests, and how much spend each budget
/// would have stopped. Nothing is changed.
/// </summary>
internal static class BudgetSimulateCommand
{
    private static readonly CultureInfo Ci = CultureInfo.InvariantCulture;
    private static readonly SimulatedAction[] Actions = Enum.GetValues<SimulatedAction>();

    public static Command Create()
    {
        var data = CommonOptions.Data();
        var config = new Option<string>("--config") { Description = "The proposed policy: a tokenops.json whose budgets (and tiers, poker) are the proposal; its storage section, if any, says where the ledger is", Required = true };
        var period = new Option<string>("--period") { Description = "Period to replay: " + ReportPeriod.Help, DefaultValueFactory = _ => "month" };
        var format = new Option<string>("--format") { Description = "table, json or csv", DefaultValueFactory = _ => "table" };
        format.AcceptOnlyFromAmong("table", "json", "csv");
        var command = new Command("simulate", "Replay a period's requests through a proposed budget policy: who would have been warned, degraded or refused, and when")
        {
            data, config, period, format,
        };
        command.SetAction(parse =>
        {
            var spec = parse.GetValue(period) ?? "month";
            if (!ReportPeriod.TryParse(spec, TimeProvider.System.GetUtcNow(), out var p))
                throw new CliException($"--period: '{spec}' is not one of {ReportPeriod.Help}", 2);
            var path = parse.GetValue(config)!;
            if (!File.Exists(path)) throw new CliException($"--config: {path}: no such file", 2);
            var options = ConfigurationLoader.Load(path);
            var policies = BudgetPolicyBuilder.Build(options, [], 0, path);
            if (policies.IsEmpty) throw new CliException($"--config: {path} proposes no budgets, tiers or poker hands (see README, Budgets)", 2);
            var dataDirectory = parse.GetValue(data) ?? options.DataDirectory;
            var catalog = ActiveCatalog.Load(dataDirectory, options.Prices).Catalog;
            long? Reprice(string model, Core.Metering.TokenUsage usage) =>
                catalog.TryGet(model, out var price) && price.IsPriced ? NanoUsd.FromUsd(CostCalculator.Compute(price, usage).Total) : null;
            using var storage = CommonOptions.OpenStorage(parse.GetValue(data), path);
            var simulation = new PolicySimulator(policies, storage.Budgets, p.From, Reprice, options.Budgets.DegradeModel)
                .Run(storage.Planning.Replay(p.From, p.To));
            Console.Out.Write(parse.GetValue(format) switch
            {
                "json" => Json(simulation, p, path),
                "csv" => Csv(simulation),
                _ => Table(simulation, p, path),
            });
            return 0;
        });
        return command;
    }

    private static decimal Usd(long nanos) => NanoUsd.ToUsd(nanos);

    private static string Name(SimulatedAction a) => a switch
    {
        SimulatedAction.Warned => "warned",
        SimulatedAction.Degraded => "degraded",
        SimulatedAction.JustificationRequired => "justification_required",
        _ => "refused",
    };

    private static string Describe(BudgetOutcome b) => b.Policy is { } p
        ? string.Create(Ci, $"{p.Limit:0.00} USD {p.Period} {(p.Hard ? "hard" : "soft " + p.SoftAction.ToString().ToLowerInvariant())}")
        : "tier's allowed models";

    private static string When(ActionTally? t) => t?.First is { } f ? f.UtcDateTime.ToString("yyyy-MM-dd HH:mm", Ci) : "-";

    internal static string Table(PolicySimulation s, ReportPeriod p, string path)
    {
        var sb = new StringBuilder();
        sb.Append(Ci, $"Policy dry run of {Path.GetFileName(path)} over {p.From.UtcDateTime:yyyy-MM-dd HH:mm} to {p.To.UtcDateTime:yyyy-MM-dd HH:mm} UTC ({p.Label}): {s.Requests} requests that cost {Usd(s.RecordedNanos):0.000000} USD, replayed in time order\n");
        sb.Append(Ci, $"{"BUDGET",-24} {"POLICY",-28} {"WARNED",7} {"DEGRADED",9} {"JUSTIFY",8} {"REFUSED",8} {"FIRST REFUSED",16} {"STOPPED USD",12} {"FIRST ACTION",16} PEOPLE\n");
        foreach (var b in s.Budgets)
        {
            ActionTally? T(SimulatedAction a) => b.Actions.GetValueOrDefault(a);
            var first = b.Actions.Values.Where(t => t.First is not null).MinBy(t => t.First);
            var people = b.Actions.Values.SelectMany(t => t.People).Distinct().Order(StringComparer.Ordinal).ToList();
            sb.Append(Ci, $"{Cut(b.Id, 24),-24} {Cut(Describe(b), 28),-28} {T(SimulatedAction.Warned)?.Requests ?? 0,7} {T(SimulatedAction.Degraded)?.Requests ?? 0,9} {T(SimulatedAction.JustificationRequired)?.Requests ?? 0,8} {T(SimulatedAction.Refused)?.Requests ?? 0,8} {When(T(SimulatedAction.Refused)),16} {Usd(T(SimulatedAction.Refused)?.Nanos ?? 0),12:0.000000} {When(first),16} {People(people)}\n");
        }
        sb.Append('\n').Append(Ci, $"{"PERSON",-16} {"TEAM",-12} {"WARNED",7} {"FIRST WARNED",16} {"DEGRADED",9} {"FIRST DEGRADED",16} {"REFUSED",8} {"FIRST REFUSED",16} {"STOPPED USD",12}\n");
        foreach (var who in s.People)
        {
            ActionTally? T(SimulatedAction a) => who.Actions.GetValueOrDefault(a);
            sb.Append(Ci, $"{Cut(who.Person, 16),-16} {Cut(who.Team ?? "-", 12),-12} {T(SimulatedAction.Warned)?.Requests ?? 0,7} {When(T(SimulatedAction.Warned)),16} {T(SimulatedAction.Degraded)?.Requests ?? 0,9} {When(T(SimulatedAction.Degraded)),16} {T(SimulatedAction.Refused)?.Requests ?? 0,8} {When(T(SimulatedAction.Refused)),16} {Usd(T(SimulatedAction.Refused)?.Nanos ?? 0),12:0.000000}\n");
        }
        if (s.People.Count == 0) sb.Append("(nobody: the proposal would not have acted on any request)\n");
        sb.Append(Ci, $"Under the proposal: {Usd(s.SimulatedNanos):0.000000} USD instead of {Usd(s.RecordedNanos):0.000000} USD; refusals stop {Usd(s.StoppedNanos):0.000000} USD, degrades save {Usd(s.DegradeSavedNanos):0.000000} USD.\n");
        sb.Append("Requests are checked at what they cost, not the worst case the gateway reserves, and justification-required ones are counted as justified.\n");
        return sb.ToString();
    }

    internal static string Json(PolicySimulation s, ReportPeriod p, string path)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("proposal", Path.GetFileName(path));
            w.WriteString("from", p.From);
            w.WriteString("to", p.To);
            w.WriteString("period", p.Label);
            w.WriteNumber("requests", s.Requests);
            w.WriteNumber("recorded_usd", Usd(s.RecordedNanos));
            w.WriteNumber("simulated_usd", Usd(s.SimulatedNanos));
            w.WriteNumber("stopped_usd", Usd(s.StoppedNanos));
            w.WriteNumber("degrade_saved_usd", Usd(s.DegradeSavedNanos));
            w.WriteStartArray("budgets");
            foreach (var b in s.Budgets)
            {
                w.WriteStartObject();
                w.WriteString("budget", b.Id);
                w.WriteString("policy", Describe(b));
                Tallies(w, b.Actions);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteStartArray("people");
            foreach (var who in s.People)
            {
                w.WriteStartObject();
                w.WriteString("person", who.Person);
                if (who.Team is { } team) w.WriteString("team", team); else w.WriteNull("team");
                Tallies(w, who.Actions);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray()) + "\n";
    }

    private static void Tallies(Utf8JsonWriter w, IReadOnlyDictionary<SimulatedAction, ActionTally> actions)
    {
        foreach (var a in Actions)
        {
            var t = actions.GetValueOrDefault(a);
            w.WritePropertyName(Name(a));
            w.WriteStartObject();
            w.WriteNumber("requests", t?.Requests ?? 0);
            if (t?.First is { } first) w.WriteString("first_at", first); else w.WriteNull("first_at");
            if (t?.FirstRequest is { } id) w.WriteString("first_request", id); else w.WriteNull("first_request");
            w.WriteNumber(a == SimulatedAction.Refused ? "stopped_usd" : a == SimulatedAction.Degraded ? "saved_usd" : "spend_usd", Usd(t?.Nanos ?? 0));
            w.WriteStartArray("people");
            foreach (var person in t?.People ?? []) w.WriteStringValue(person);
            w.WriteEndArray();
            w.WriteEndObject();
        }
    }

    internal static string Csv(PolicySimulation s)
    {
        var sb = new StringBuilder("budget,policy,action,requests,first_at,first_request,usd,people\n");
        foreach (var b in s.Budgets)
            foreach (var a in Actions)
            {
                var t = b.Actions.GetValueOrDefault(a);
                sb.Append(CsvWriter.Escape(b.Id)).Append(',').Append(CsvWriter.Escape(Describe(b))).Append(',').Append(Name(a))
                    .Append(Ci, $",{t?.Requests ?? 0},{(t?.First is { } f ? f.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", Ci) : "")},{CsvWriter.Escape(t?.FirstRequest ?? "")},{Usd(t?.Nanos ?? 0):0.000000000},")
                    .Append(CsvWriter.Escape(string.Join(' ', t?.People ?? []))).Append('\n');
            }
        return sb.ToString();
    }

    /// <summary>The first few names, then how many more (the JSON lists them all).</summary>
    private static string People(IReadOnlyList<string> people) => people.Count == 0 ? "-"
        : people.Count <= 5 ? string.Join(",", people) : string.Join(",", people.Take(5)) + $" +{people.Count - 5} more";

    private static string Cut(string s, int n) => s.Length <= n ? s : s[..(n - 1)] + "…";
}
