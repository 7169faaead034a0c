using System.CommandLine;
using System.Globalization;
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
        var (expires, expiresIn, models) = LimitOptions();
        var create = new Command("create", "Create a virtual key; the key is printed once, alone on the last line") { person, team, kind, owner, expires, expiresIn, models, data, config };
        create.SetAction(parse =>
        {
            var store = Open(parse.GetValue(data), parse.GetValue(config));
            var (until, allowed) = Limits(parse.GetValue(expires), parse.GetValue(expiresIn), parse.GetValue(models));
            try
            {
                var (key, secret) = store.Create(parse.GetValue(person)!, parse.GetValue(team)!, parse.GetValue(kind) ?? KeyKinds.Person, parse.GetValue(owner));
                if (until is not null || allowed is not null) store.SetLimits(key.Id, until, allowed);
                var what = key.Kind == KeyKinds.Automation ? $"automation key {key.Id} ({(key.Owner is null ? "no owner" : "owner " + key.Owner)})" : $"key {key.Id}";
                Console.WriteLine($"Created {what} for {key.Person} ({key.Team}){Describe(until, allowed)}. Store it now: it is not shown again.");
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
        var list = new Command("list", "List keys (never the keys themselves) with their expiry, models and last use") { listData, listConfig };
        list.SetAction(parse =>
        {
            var keys = Open(parse.GetValue(listData), parse.GetValue(listConfig)).List();
            var now = DateTimeOffset.UtcNow;
            Console.WriteLine($"{"ID",-18} {"PERSON",-16} {"TEAM",-14} {"KEY",-10} {"CREATED",-17} {"LAST USED",-17} {"EXPIRES",-17} {"MODELS",-24} STATUS");
            foreach (var k in keys)
            {
                var status = k.IsRevoked ? $"revoked {k.RevokedAt:yyyy-MM-dd HH:mm}"
                    : k.IsExpired(now) ? (k.RotatedTo is null ? "expired" : $"rotated to {k.RotatedTo}")
                    : k.RotatedTo is not null ? $"overlap, rotated to {k.RotatedTo}" : "active";
                if (k.Kind == KeyKinds.Automation) status += $"  automation, {(k.Owner is null ? "no owner" : "owner " + k.Owner)}";
                Console.WriteLine($"{k.Id,-18} {k.Person,-16} {k.Team,-14} {k.DisplayPrefix,-10} {k.CreatedAt:yyyy-MM-dd HH:mm} {When(k.LastUsedAt),-17} {When(k.ExpiresAt),-17} {k.Models?.ToString() ?? "any",-24} {status}");
            }
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

        return new Command("keys", "Manage virtual keys") { create, list, revoke, Rotate(), Set() };
    }

    private static Command Rotate()
    {
        var data = CommonOptions.Data();
        var config = CommonOptions.Config();
        var id = new Argument<string>("id") { Description = "Key id (from 'keys list')" };
        var overlap = new Option<string>("--overlap") { Description = "How long the old key keeps working beside the new one: 30m, 24h, 7d (0 ends it now)", DefaultValueFactory = _ => "24h" };
        var rotate = new Command("rotate", "Issue a new key for the same person, team and limits; the old one keeps working for the overlap, then stops") { id, overlap, data, config };
        rotate.SetAction(parse =>
        {
            var store = Open(parse.GetValue(data), parse.GetValue(config));
            var span = Span("--overlap", parse.GetValue(overlap)!);
            var keyId = parse.GetValue(id)!;
            var until = DateTimeOffset.UtcNow + span;
            if (store.Rotate(keyId, until) is not { } rotated) throw new CliException($"no active key with id '{keyId}'", 2);
            Console.WriteLine($"Rotated {keyId} to {rotated.Key.Id} for {rotated.Key.Person} ({rotated.Key.Team}){Describe(rotated.Key.ExpiresAt, rotated.Key.Models)}; " +
                $"the old key works until {store.FindById(keyId)?.ExpiresAt:yyyy-MM-dd HH:mm} UTC. Store the new key now: it is not shown again.");
            Console.WriteLine(rotated.Secret);
            return 0;
        });
        return rotate;
    }

    private static Command Set()
    {
        var data = CommonOptions.Data();
        var config = CommonOptions.Config();
        var id = new Argument<string>("id") { Description = "Key id (from 'keys list')" };
        var (expires, expiresIn, models) = LimitOptions();
        var never = new Option<bool>("--no-expiry") { Description = "The key never expires" };
        var any = new Option<bool>("--any-model") { Description = "The key may call any model" };
        var set = new Command("set", "Change a key's expiry and model allow-list (what is not given stays)") { id, expires, expiresIn, never, models, any, data, config };
        set.SetAction(parse =>
        {
            var store = Open(parse.GetValue(data), parse.GetValue(config));
            var keyId = parse.GetValue(id)!;
            var key = store.FindById(keyId) ?? throw new CliException($"no key with id '{keyId}'", 2);
            var (until, allowed) = Limits(parse.GetValue(expires), parse.GetValue(expiresIn), parse.GetValue(models));
            var newExpiry = parse.GetValue(never) ? null : until ?? key.ExpiresAt;
            var newModels = parse.GetValue(any) ? null : allowed ?? key.Models;
            store.SetLimits(keyId, newExpiry, newModels);
            Console.WriteLine($"Key {keyId}: expires {When(newExpiry)}, models {newModels?.ToString() ?? "any"}. A running gateway applies it within 5 seconds.");
            return 0;
        });
        return set;
    }

    private static (Option<string?> Expires, Option<string?> ExpiresIn, Option<string?> Models) LimitOptions() => (
        new Option<string?>("--expires") { Description = "When the key stops working: an ISO 8601 date or time (UTC), e.g. 2027-01-31" },
        new Option<string?>("--expires-in") { Description = "When the key stops working, from now: 12h, 30d, 90d" },
        new Option<string?>("--models") { Description = "The models the key may use, comma-separated; '*' is a wildcard: gpt-4o-mini,claude-*" });

    private static (DateTimeOffset? Until, ModelAllowList? Models) Limits(string? expires, string? expiresIn, string? models)
    {
        if (expires is not null && expiresIn is not null) throw new CliException("give --expires or --expires-in, not both", 2);
        DateTimeOffset? until = null;
        if (expiresIn is not null) until = DateTimeOffset.UtcNow + Span("--expires-in", expiresIn);
        if (expires is not null)
        {
            if (!DateTimeOffset.TryParse(expires, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var at))
                throw new CliException($"--expires: '{expires}' is not an ISO 8601 date or time", 2);
            until = at;
        }
        if (until is { } u && u <= DateTimeOffset.UtcNow) throw new CliException("the expiry must be in the future", 2);
        try
        {
            return (until, ModelAllowList.Parse(models));
        }
        catch (ArgumentException ex)
        {
            throw new CliException("--models: " + ex.Message, 2);
        }
    }

    /// <summary>A span such as 30m, 24h or 90d (the rule of --since), or 0.</summary>
    internal static TimeSpan Span(string option, string value) =>
        value.Trim() == "0" ? TimeSpan.Zero
        : LedgerCommand.TryParseSpan(value, out var span) ? span
        : throw new CliException($"{option}: '{value}' is not a span such as 30m, 24h or 90d", 2);

    private static string Describe(DateTimeOffset? until, ModelAllowList? models) =>
        (until is { } u ? $", expires {u:yyyy-MM-dd HH:mm} UTC" : "") + (models is { } m ? $", models {m}" : "");

    private static string When(DateTimeOffset? t) => t is { } v ? v.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture) : "-";

    private static IKeyStore Open(string? data, string? config) => CommonOptions.OpenStorage(data, config).Keys;
}
