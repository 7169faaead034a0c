using System.CommandLine;
using System.Globalization;
using TokenOps.Storage;

namespace TokenOps.Cli.Commands;

/// <summary><c>tokenops people list|move</c>: people, their teams, and moves to another team from a date.</summary>
internal static class PeopleCommand
{
    public static Command Create()
    {
        var data = CommonOptions.Data();
        var config = CommonOptions.Config();
        var list = new Command("list", "People and the team each is in now, with moves still to come") { data, config };
        list.SetAction(parse =>
        {
            var store = CommonOptions.OpenStorage(parse.GetValue(data), parse.GetValue(config)).Keys;
            var now = DateTimeOffset.UtcNow;
            Console.WriteLine($"{"PERSON",-20} {"TEAM",-16} MOVES");
            foreach (var (name, team) in store.People())
            {
                var moves = store.TeamMoves(name);
                var shown = string.Join("; ", moves.Select(m => $"{(m.From > now ? "to" : "moved to")} {m.Team} from {m.From.UtcDateTime:yyyy-MM-dd HH:mm}"));
                Console.WriteLine($"{name,-20} {team,-16} {(shown.Length == 0 ? "-" : shown)}");
            }
            return 0;
        });

        var moveData = CommonOptions.Data();
        var moveConfig = CommonOptions.Config();
        var person = new Argument<string>("person") { Description = "The person who moves" };
        var team = new Option<string>("--team") { Description = "The team they move to (created if new)", Required = true };
        var from = new Option<string?>("--from") { Description = "From when (ISO 8601 date or time, UTC; default now). Requests before it stay with the old team." };
        var move = new Command("move", "Move a person to another team from a date on; rows already recorded keep the team they had") { person, team, from, moveData, moveConfig };
        move.SetAction(parse =>
        {
            var store = CommonOptions.OpenStorage(parse.GetValue(moveData), parse.GetValue(moveConfig)).Keys;
            var when = DateTimeOffset.UtcNow;
            if (parse.GetValue(from) is { } text && !DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out when))
                throw new CliException($"--from: '{text}' is not an ISO 8601 date or time", 2);
            var who = parse.GetValue(person)!;
            try
            {
                store.MoveTeam(who, parse.GetValue(team)!, when);
            }
            catch (Exception ex) when (ex is InvalidOperationException or ArgumentException)
            {
                throw new CliException(ex.Message, 2);
            }
            Console.WriteLine($"{who} moves to {parse.GetValue(team)} from {when.UtcDateTime:yyyy-MM-dd HH:mm} UTC. Rows before then keep their team; a running gateway follows within 5 seconds of that time.");
            return 0;
        });
        return new Command("people", "People and their teams") { list, move };
    }
}
