using System.CommandLine;
using TokenOps.Core.Identity;
using TokenOps.Storage;

namespace TokenOps.Cli.Commands;

internal static class KeysCommand
{
    public static Command Create()
    {
        var data = CommonOptions.Data();
        var config = CommonOptions.Config();
        var person = new Option<string>("--person") { Description = "Person who owns the key", Required = true };
        var team = new Option<string>("--team") { Description = "Team the person belongs to", Required = true };
        var kind = new Option<string>("--kind") { Description = "person (a developer's own key) or automation (a CI bot, a scheduled job)", DefaultValueFactory = _ => KeyKinds.Person };
        kind.AcceptOnlyFromAmong(KeyKinds.Person, KeyKinds.Automation);
        var owner = new Option<string?>("--owner") { Description = "For an automation key: the person who answers for it (waste detection flags automation with no owner)" };
        var create = new Command("create", "Create a virtual key; the key is printed once, alone on the last line") { person, team, kind, owner, data, config };
        create.SetAction(parse =>
        {
            var store = Open(parse.GetValue(data), parse.GetValue(config));
            try
            {
                var (key, secret) = store.Create(parse.GetValue(person)!, parse.GetValue(team)!, parse.GetValue(kind) ?? KeyKinds.Person, parse.GetValue(owner));
                var what = key.Kind == KeyKinds.Automation ? $"automation key {key.Id} ({(key.Owner is null ? "no owner" : "owner " + key.Owner)})" : $"key {key.Id}";
                Console.WriteLine($"Created {what} for {key.Person} ({key.Team}). Store it now: it is not shown again.");
                Console.WriteLine(secret);
                return 0;
            }
            catch (Exception ex) when (ex is InvalidOperationException or ArgumentException)
            {
                throw new CliException(ex.Message, 2);
            }
        });

        var listData = CommonOptions.Data();
        var listConfig = CommonOptions.Config();
        var list = new Command("list", "List keys (never the keys themselves)") { listData, listConfig };
        list.SetAction(parse =>
        {
            var keys = Open(parse.GetValue(listData), parse.GetValue(listConfig)).List();
            Console.WriteLine($"{"ID",-18} {"PERSON",-16} {"TEAM",-14} {"KEY",-10} {"CREATED",-20} STATUS");
            foreach (var k in keys)
                Console.WriteLine($"{k.Id,-18} {k.Person,-16} {k.Team,-14} {k.DisplayPrefix,-10} {k.CreatedAt:yyyy-MM-dd HH:mm:ss}  {(k.IsRevoked ? $"revoked {k.RevokedAt:yyyy-MM-dd HH:mm}" : "active")}{(k.Kind == KeyKinds.Automation ? $"  automation, {(k.Owner is null ? "no owner" : "owner " + k.Owner)}" : "")}");
            return 0;
        });

        var id = new Argument<string>("id") { Description = "Key id (from 'keys list')" };
        var revokeData = CommonOptions.Data();
        var revokeConfig = CommonOptions.Config();
        var revoke = new Command("revoke", "Revoke a key; a running gateway refuses it within 5 seconds") { id, revokeData, revokeConfig };
        revoke.SetAction(parse =>
        {
            var keyId = parse.GetValue(id)!;
            if (!Open(parse.GetValue(revokeData), parse.GetValue(revokeConfig)).Revoke(keyId)) throw new CliException($"no key with id '{keyId}'", 2);
            Console.WriteLine($"Revoked {keyId}.");
            return 0;
        });

        return new Command("keys", "Manage virtual keys") { create, list, revoke };
    }

    private static IKeyStore Open(string? data, string? config) => CommonOptions.OpenStorage(data, config).Keys;
}
