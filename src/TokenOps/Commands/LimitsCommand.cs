using System.CommandLine;
using System.Globalization;
using TokenOps.Gateway.RateLimits;
using TokenOps.Storage;

namespace TokenOps.Cli.Commands;

/// <summary>
/// `tokenops limits list|set|remove`: rate limits per key, person and team. Limits set here live in the store (the
/// data directory's SQLite file, or PostgreSQL with --config); running gateways on it apply a change within about a
/// second. Limits in tokenops.json are listed with --config and changed in the file.
/// </summary>
internal static class LimitsCommand
{
    public static Command Create() => new("limits", "Manage rate limits: requests per minute, tokens per minute and concurrent requests per key, person and team")
    {
        List(), Set(), Remove(),
    };

    private static Command Set()
    {
        var data = CommonOptions.Data();
        var config = CommonOptions.Config();
        var key = new Option<string?>("--key") { Description = "A key's limit, by key id or display prefix (see 'tokenops keys list')" };
        var person = new Option<string?>("--person") { Description = "A person's limit (all their keys together)" };
        var team = new Option<string?>("--team") { Description = "A team's limit (all its people together)" };
        var defaultPerson = new Option<bool>("--default-person") { Description = "The limit of every person without one of their own (each counted separately)" };
        var rpm = new Option<long?>("--rpm") { Description = "Requests per minute" };
        var tpm = new Option<long?>("--tpm") { Description = "Tokens per minute (input plus output; estimated at admission, corrected when the request ends)" };
        var concurrent = new Option<long?>("--concurrent") { Description = "Requests in flight at once" };
        var command = new Command("set", "Create or replace a rate limit (bounds not given are not limited)") { key, person, team, defaultPerson, rpm, tpm, concurrent, data, config };
        command.SetAction(parse =>
        {
            var targets = new (RateLimitLevel Level, string? Name, bool Given)[]
            {
                (RateLimitLevel.Key, parse.GetValue(key), parse.GetValue(key) is not null),
                (RateLimitLevel.Person, parse.GetValue(person), parse.GetValue(person) is not null),
                (RateLimitLevel.Team, parse.GetValue(team), parse.GetValue(team) is not null),
                (RateLimitLevel.DefaultPerson, null, parse.GetValue(defaultPerson)),
            }.Where(t => t.Given).ToList();
            if (targets.Count != 1) throw new CliException("name exactly one of --key ID, --person NAME, --team NAME, --default-person", 2);
            var scope = RateLimitScope.Of(targets[0].Level, targets[0].Name);
            var stored = StoredRateLimits.From(scope, parse.GetValue(rpm), parse.GetValue(tpm), parse.GetValue(concurrent));
            using var storage = CommonOptions.OpenStorage(parse.GetValue(data), parse.GetValue(config));
            storage.RateLimits.Set(stored);
            Console.WriteLine($"Rate limit {stored.Scope}: {Describe(stored.RequestsPerMinute, stored.TokensPerMinute, stored.Concurrent)}.");
            return 0;
        });
        return command;
    }

    private static Command List()
    {
        var data = CommonOptions.Data();
        var config = CommonOptions.Config();
        var command = new Command("list", "List rate limits from tokenops.json (with --config) and those set with 'limits set'") { data, config };
        command.SetAction(parse =>
        {
            var options = Gateway.Configuration.ConfigurationLoader.Load(parse.GetValue(config));
            using var storage = CommonOptions.OpenStorage(parse.GetValue(data), parse.GetValue(config));
            var policy = RateLimitPolicy.Build(options.RateLimits, storage.RateLimits.List(), storage.RateLimits.Version());
            Console.WriteLine($"{"SCOPE",-32} {"RPM",10} {"TPM",14} {"CONCURRENT",10} SOURCE");
            foreach (var r in policy.Rules)
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{r.Scope.Id,-32} {Bound(r.RequestsPerMinute),10} {Bound(r.TokensPerMinute),14} {Bound(r.Concurrent),10} {r.Source}"));
            return 0;
        });
        return command;
    }

    private static Command Remove()
    {
        var data = CommonOptions.Data();
        var config = CommonOptions.Config();
        var scope = new Argument<string>("scope") { Description = "The limit's scope: key:ID, person:NAME, team:NAME or default:person" };
        var command = new Command("remove", "Remove a rate limit set with 'limits set' (tokenops.json limits are changed in the file)") { scope, data, config };
        command.SetAction(parse =>
        {
            var id = RateLimitScope.Parse(parse.GetValue(scope)!).Id;
            using var storage = CommonOptions.OpenStorage(parse.GetValue(data), parse.GetValue(config));
            if (!storage.RateLimits.Delete(id)) throw new CliException($"no rate limit set for '{id}' (see 'tokenops limits list')", 2);
            Console.WriteLine($"Removed {id}.");
            return 0;
        });
        return command;
    }

    private static string Bound(long? value) => value?.ToString(CultureInfo.InvariantCulture) ?? "-";

    private static string Describe(long? rpm, long? tpm, long? concurrent) => string.Join(", ", new[]
    {
        rpm is { } r ? $"{r} requests/min" : null,
        tpm is { } t ? $"{t} tokens/min" : null,
        concurrent is { } c ? $"{c} concurrent" : null,
    }.Where(s => s is not null));
}
