using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using TokenOps.Core.Outcomes;
using TokenOps.Core.Poker;
using TokenOps.Gateway.Alerts;
using TokenOps.Gateway.Outcomes;
using TokenOps.Gateway.Configuration;
using TokenOps.Storage;

namespace TokenOps.Cli.Commands;

internal static class PokerCommand
{
    public static Command Create()
    {
        var data = CommonOptions.Data();
        var config = CommonOptions.Config();
        var week = new Option<string?>("--week") { Description = "Any date in the week to show (YYYY-MM-DD; default this week)" };
        var format = new Option<string>("--format") { Description = "table or json", DefaultValueFactory = _ => "table" };
        format.AcceptOnlyFromAmong("table", "json");
        var command = new Command("poker", "Token poker leaderboard for a week: hands, spend and score per player (settings from the config's poker section)") { data, config, week, format };
        command.SetAction(parse =>
        {
            var configPath = parse.GetValue(config);
            var options = configPath is null ? new GatewayOptions() : ConfigurationLoader.Load(configPath);
            using var storage = CommonOptions.OpenStorage(parse.GetValue(data), configPath);
            // The same policies the gateway offers, outcome value per dollar included.
            IPokerScoringPolicy[] policies = [new OutcomeValuePerDollarPolicy(new OutcomeService(options.Outcomes, storage.Outcomes, storage.Spend, storage.Keys))];
            var game = PokerSetup.Game(options.Poker, storage.SpendQueries, policies);
            var weekValue = parse.GetValue(week);
            if (!AlertEndpoints.TryWeek(weekValue, game, TimeProvider.System, out var start))
                throw new CliException($"--week: '{weekValue}' is not a date (YYYY-MM-DD) between 1970 and 8999", 2);
            var board = game.Leaderboard(start);
            if (parse.GetValue(format) == "json")
            {
                Console.WriteLine(JsonSerializer.Serialize(AlertEndpoints.LeaderboardView(board)));
                return 0;
            }
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"Token poker, week of {board.WeekStart:yyyy-MM-dd} ({board.WeekStart:yyyy-MM-dd HH:mm zzz} to {board.WeekEnd:yyyy-MM-dd HH:mm zzz}), scoring: {board.Scoring}{(board.Anonymised ? ", anonymised" : "")}"));
            Console.WriteLine($"  {board.Explanation}");
            Console.WriteLine($"{"RANK",4} {"PLAYER",-16} {"TEAM",-12} {"HAND USD",9} {"SPENT USD",10} {"REQS",6} {"OK",6} {"SCORE",12}  FORMULA");
            foreach (var r in board.Rows)
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{r.Rank,4} {r.Player,-16} {r.Team ?? "-",-12} {r.Hand,9:0.00} {r.Spent,10:0.0000} {r.Requests,6} {r.SuccessfulRequests,6} {r.Score,12:0.##}  {r.Formula}{(r.Winner ? "  (winner)" : "")}"));
            if (board.Rows.Count == 0) Console.WriteLine("  no players yet (create keys with 'tokenops keys create')");
            return 0;
        });
        return command;
    }
}
